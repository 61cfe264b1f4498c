// Character classes and small string helpers of HTTP (RFC 9110 section 5.6), shared by the
// request and response parsers and the header-value parsers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace udn::cache::http {

bool is_token_char(char c);
bool is_token(std::string_view text);
// Field values: visible characters, SP and HTAB, obs-text; no other control characters.
bool is_field_value(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);
std::string_view trim(std::string_view text);
// The value of a hex digit (either case), or -1: chunk sizes and percent-encoding.
int hex_value(char c);
// A decimal number of 1 to 18 digits (so no value overflows 64 bits), nothing else: the byte
// positions of Range and Content-Range.
std::optional<std::uint64_t> decimal_value(std::string_view text);
// True when the comma-separated list `value` contains `token` (case-insensitive).
bool list_contains(std::string_view value, std::string_view token);

// Finds the end of the line starting at `pos`: the index of its CR. Returns npos when the line
// is not complete yet; sets `bad` on a bare CR or LF (never accepted: smuggling vector).
std::size_t line_end(std::string_view text, std::size_t pos, bool& bad);

}  // namespace udn::cache::http
