// Cache-Control parsing; see cache_control.hpp.
#include "cache/http/cache_control.hpp"

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

namespace {

std::int64_t seconds_of(std::string_view value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty()) return 0;
    std::int64_t result = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return 0;
        // Saturate at 2^31 s (RFC 9111 section 1.2.2) instead of overflowing.
        result = result * 10 + (c - '0');
        if (result > 2147483648LL) result = 2147483648LL;
    }
    return result;
}

}  // namespace

void parse_cache_control(std::string_view value, CacheControl& into) {
    std::size_t pos = 0;
    while (pos < value.size()) {
        // A directive ends at a comma outside quotes.
        std::size_t end = pos;
        bool quoted = false;
        while (end < value.size() && (quoted || value[end] != ',')) {
            if (value[end] == '"') quoted = !quoted;
            ++end;
        }
        const auto item = trim(value.substr(pos, end - pos));
        pos = end + 1;
        const auto equals = item.find('=');
        const auto name = trim(item.substr(0, equals));
        const auto argument = equals == std::string_view::npos ? std::string_view{} : trim(item.substr(equals + 1));
        if (iequals(name, "max-age")) into.max_age_s = seconds_of(argument);
        else if (iequals(name, "s-maxage")) into.s_maxage_s = seconds_of(argument);
        else if (iequals(name, "stale-while-revalidate")) into.stale_while_revalidate_s = seconds_of(argument);
        else if (iequals(name, "stale-if-error")) into.stale_if_error_s = seconds_of(argument);
        else if (iequals(name, "min-fresh")) into.min_fresh_s = seconds_of(argument);
        else if (iequals(name, "no-store")) into.no_store = true;
        else if (iequals(name, "no-cache")) into.no_cache = true;
        else if (iequals(name, "private")) into.is_private = true;
        else if (iequals(name, "public")) into.is_public = true;
        else if (iequals(name, "must-revalidate")) into.must_revalidate = true;
        else if (iequals(name, "proxy-revalidate")) into.proxy_revalidate = true;
        else if (iequals(name, "only-if-cached")) into.only_if_cached = true;
    }
}

}  // namespace udn::cache::http
