// The Content-Range response header of a 206 (RFC 9110 section 14.4), as a cache fetching an
// object in slices needs it: one byte range and the complete length, which must be known.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace udn::cache::http {

struct ContentRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
    std::uint64_t complete_length_bytes = 0;
};

// "bytes <first>-<last>/<length>" with first <= last < length; anything else (an unknown
// length "*", "bytes */<length>", other units, overflow) is nullopt.
std::optional<ContentRange> parse_content_range(std::string_view value);

}  // namespace udn::cache::http
