// Character classes and string helpers of HTTP; see syntax.hpp.
#include "cache/http/syntax.hpp"

#include <array>
#include <cstring>

namespace udn::cache::http {

namespace {

// tchar of RFC 9110 section 5.6.2 and field-vchar/HTAB/SP of section 5.5, as 256-entry tables:
// every request head is checked byte by byte, and a table is one load per byte where the
// character tests (with strchr for the punctuation) cost a dozen instructions.
constexpr std::array<bool, 256> token_table = [] {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = table[static_cast<std::size_t>(c - 32)] = true;
    for (const char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
    return table;
}();

constexpr std::array<bool, 256> field_value_table = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = (c >= 0x20 && c != 0x7f) || c == '\t';
    return table;
}();

}  // namespace

bool is_token_char(char c) { return token_table[static_cast<unsigned char>(c)]; }

bool is_token(std::string_view text) {
    if (text.empty()) return false;
    bool ok = true;
    for (const char c : text) ok &= token_table[static_cast<unsigned char>(c)];
    return ok;
}

bool is_field_value(std::string_view text) {
    bool ok = true;
    for (const char c : text) ok &= field_value_table[static_cast<unsigned char>(c)];
    return ok;
}

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool list_contains(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        const auto item = trim(value.substr(0, comma));
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::size_t line_end(std::string_view text, std::size_t pos, bool& bad) {
    // Two memchr scans (vectorized in glibc) instead of a loop over every byte of the head; the
    // first LF and the first CR decide it exactly as a left-to-right scan would.
    if (pos >= text.size()) return std::string_view::npos;
    const char* start = text.data() + pos;
    const auto length = text.size() - pos;
    const auto* cr = static_cast<const char*>(std::memchr(start, '\r', length));
    const auto* lf = static_cast<const char*>(std::memchr(start, '\n', cr != nullptr ? static_cast<std::size_t>(cr - start) : length));
    if (lf != nullptr) {
        bad = true;  // a LF before any CR: bare LF
        return std::string_view::npos;
    }
    if (cr == nullptr) return std::string_view::npos;
    const auto at = static_cast<std::size_t>(cr - text.data());
    if (at + 1 >= text.size()) return std::string_view::npos;
    if (text[at + 1] != '\n') {
        bad = true;
        return std::string_view::npos;
    }
    return at;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::uint64_t> decimal_value(std::string_view text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

}  // namespace udn::cache::http
