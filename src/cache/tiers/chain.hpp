// What a memory front learns from its disk back's response headers: the back's Cache-Status
// entry (RFC 9211), which the front lists before its own on the response that the back
// answered but never stores, and the back's result in access-log words. Also the HOST:PORT
// syntax of --backend. Pure functions, so the rules are unit-tested without sockets.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udn::cache::tiers {

// Removes the last Cache-Status field line (the one the back added: a cache appends its own
// entry after any it received) and returns its value; "" when there is none.
std::string take_own_entry(std::vector<std::pair<std::string, std::string>>& headers);

// The access-log result (HIT MISS STALE REVALIDATED COLLAPSED PASS ERROR) a Cache-Status entry
// such as "udn-pop-disk; fwd=miss; fwd-status=200; stored" describes; "-" when unknown.
std::string_view result_of_entry(std::string_view entry);

// Whether a Via field value (RFC 9110 section 7.6.3: "1.1 name, 1.1 other") names the cache
// `name`: the request passed it already (a front whose --backend points at itself, a loop).
bool via_names(std::string_view via, std::string_view name);

struct HostPort {
    std::string host;  // an IP address (brackets of an IPv6 literal removed)
    std::uint16_t port = 0;
};
// "127.0.0.2:8081" or "[::1]:8081"; nullopt with `error` set otherwise.
std::optional<HostPort> parse_host_port(std::string_view text, std::string& error);

}  // namespace udn::cache::tiers
