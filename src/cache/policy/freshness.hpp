// What RFC 9111 lets a shared cache do with a response: whether it may be stored (section 3),
// for how long it is fresh (4.2.1, heuristics only for statuses 4.2.2 allows), its corrected
// initial age (4.2.3), and how long it may be served stale (RFC 5861).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "cache/http/cache_control.hpp"

namespace udn::cache::policy {

struct RequestFacts {
    bool is_get_or_head = true;
    bool has_authorization = false;
    http::CacheControl cache_control;
};

struct ResponseFacts {
    int status = 200;
    http::CacheControl cache_control;
    std::optional<std::int64_t> date_s;
    std::optional<std::int64_t> expires_s;
    bool has_expires = false;  // present, even if invalid (an invalid Expires means "already expired")
    std::optional<std::int64_t> last_modified_s;
    std::optional<std::int64_t> age_s;
    bool has_set_cookie = false;
    std::string_view vary;
};

// Why the response may not be stored by a shared cache, or nullopt when it may.
std::optional<std::string_view> why_not_storable(const RequestFacts& request, const ResponseFacts& response);

// Freshness lifetime in seconds; heuristic (10% of the time since Last-Modified, at most
// `heuristic_cap_s`) only for heuristically cacheable statuses without explicit freshness.
std::int64_t freshness_lifetime_s(const ResponseFacts& response, std::int64_t heuristic_cap_s);

std::int64_t corrected_initial_age_s(const ResponseFacts& response, std::int64_t request_time_s,
                                     std::int64_t response_time_s);

bool heuristically_cacheable(int status);

}  // namespace udn::cache::policy
