// Cache-Control directives (RFC 9111 section 5.2) of a request or a response. Field-qualified
// forms (private="Set-Cookie", no-cache="X") are treated as their unqualified, stricter form.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace udn::cache::http {

struct CacheControl {
    std::optional<std::int64_t> max_age_s;
    std::optional<std::int64_t> s_maxage_s;
    std::optional<std::int64_t> stale_while_revalidate_s;
    std::optional<std::int64_t> stale_if_error_s;
    std::optional<std::int64_t> min_fresh_s;
    bool no_store = false;
    bool no_cache = false;
    bool is_private = false;
    bool is_public = false;
    bool must_revalidate = false;
    bool proxy_revalidate = false;
    bool only_if_cached = false;
};

// Adds the directives of one Cache-Control field value (several fields accumulate). Malformed
// numbers make a directive count as 0 seconds, the safe reading (RFC 9111 section 4.2.1).
void parse_cache_control(std::string_view value, CacheControl& into);

}  // namespace udn::cache::http
