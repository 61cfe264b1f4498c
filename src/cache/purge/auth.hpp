// Authentication of the cache's admin requests (purge): an HMAC-SHA256, keyed with the
// network's report_key, over "<METHOD>\n<request target>\n<unix seconds>", sent as
//   Authorization: UDN-HMAC t=<unix seconds>, s=<hex digest>
// and accepted within +-300 s of the cache's clock (docs/cache.md). Purges are idempotent, so
// a replay inside the window can only repeat the same purge.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udn::cache::purge {

constexpr std::int64_t max_clock_skew_s = 300;

// Empty when `key_hex` is not a report key (32 or more bytes written as hex).
std::string sign(std::string_view key_hex, std::string_view method, std::string_view target, std::int64_t unix_s);
std::string authorization_header(std::string_view key_hex, std::string_view method, std::string_view target,
                                 std::int64_t unix_s);
// Empty when valid, else why not.
std::string verify(std::string_view key_hex, std::string_view method, std::string_view target,
                   std::optional<std::string_view> authorization, std::int64_t now_s);

}  // namespace udn::cache::purge
