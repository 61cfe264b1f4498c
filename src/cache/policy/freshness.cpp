// RFC 9111 storage and freshness rules; see freshness.hpp.
#include "cache/policy/freshness.hpp"

#include <algorithm>

namespace udn::cache::policy {

bool heuristically_cacheable(int status) {
    switch (status) {
    case 200: case 203: case 204: case 300: case 301: case 308: case 404: case 405: case 410: case 414: case 501:
        return true;
    default:
        return false;
    }
}

namespace {
bool has_explicit_freshness(const ResponseFacts& response) {
    const auto& cc = response.cache_control;
    return cc.s_maxage_s || cc.max_age_s || response.has_expires;
}
}  // namespace

std::optional<std::string_view> why_not_storable(const RequestFacts& request, const ResponseFacts& response) {
    const auto& cc = response.cache_control;
    if (!request.is_get_or_head) return "method is not cacheable";
    if (request.cache_control.no_store) return "request no-store";
    if (cc.no_store) return "response no-store";
    if (cc.is_private) return "response private";
    if (response.status == 206 || response.status == 304 || response.status < 200) return "status not storable here";
    if (response.vary == "*") return "Vary: *";
    // A shared cache must not reuse a response to an authenticated request unless told so.
    if (request.has_authorization && !cc.is_public && !cc.s_maxage_s && !cc.must_revalidate) {
        return "request had Authorization";
    }
    // Set-Cookie responses are per user in practice; storing them would hand one user's cookie to others.
    if (response.has_set_cookie && !cc.is_public) return "response sets a cookie";
    if (!has_explicit_freshness(response) && !cc.is_public && !heuristically_cacheable(response.status)) {
        return "no explicit freshness and status not heuristically cacheable";
    }
    return std::nullopt;
}

std::int64_t freshness_lifetime_s(const ResponseFacts& response, std::int64_t heuristic_cap_s) {
    const auto& cc = response.cache_control;
    if (cc.s_maxage_s) return *cc.s_maxage_s;
    if (cc.max_age_s) return *cc.max_age_s;
    if (response.has_expires) {
        if (!response.expires_s || !response.date_s) return 0;
        return std::max<std::int64_t>(0, *response.expires_s - *response.date_s);
    }
    if ((heuristically_cacheable(response.status) || cc.is_public) && response.last_modified_s && response.date_s) {
        const auto since_modified = *response.date_s - *response.last_modified_s;
        if (since_modified > 0) return std::min(since_modified / 10, heuristic_cap_s);
    }
    return 0;
}

std::int64_t corrected_initial_age_s(const ResponseFacts& response, std::int64_t request_time_s,
                                     std::int64_t response_time_s) {
    const auto apparent_age = response.date_s ? std::max<std::int64_t>(0, response_time_s - *response.date_s) : 0;
    const auto response_delay = std::max<std::int64_t>(0, response_time_s - request_time_s);
    const auto corrected_age_value = response.age_s.value_or(0) + response_delay;
    return std::max(apparent_age, corrected_age_value);
}

}  // namespace udn::cache::policy
