// Content-Range parsing; see content_range.hpp.
#include "cache/http/content_range.hpp"

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

namespace {

// Up to 18 digits, so that no value overflows 64 bits.
std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view value) {
    value = trim(value);
    if (!istarts_with(value, "bytes ")) return std::nullopt;
    value = trim(value.substr(6));
    const auto dash = value.find('-');
    const auto slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return std::nullopt;
    const auto first = decimal(value.substr(0, dash));
    const auto last = decimal(value.substr(dash + 1, slash - dash - 1));
    const auto length = decimal(value.substr(slash + 1));
    if (!first || !last || !length || *first > *last || *last >= *length) return std::nullopt;
    return ContentRange{*first, *last, *length};
}

}  // namespace udn::cache::http
