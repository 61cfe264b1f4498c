// Content-Range parsing; see content_range.hpp.
#include "cache/http/content_range.hpp"

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

std::optional<ContentRange> parse_content_range(std::string_view value) {
    value = trim(value);
    if (!istarts_with(value, "bytes ")) return std::nullopt;
    value = trim(value.substr(6));
    const auto dash = value.find('-');
    const auto slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return std::nullopt;
    const auto first = decimal_value(value.substr(0, dash));
    const auto last = decimal_value(value.substr(dash + 1, slash - dash - 1));
    const auto length = decimal_value(value.substr(slash + 1));
    if (!first || !last || !length || *first > *last || *last >= *length) return std::nullopt;
    return ContentRange{*first, *last, *length};
}

}  // namespace udn::cache::http
