// The Range request header (RFC 9110 section 14.2) for a stored object of known length: one
// byte range is served as 206; several ranges, other units or malformed values are ignored
// (the whole object is sent with 200, which RFC 9110 allows); a range starting beyond the end
// is unsatisfiable (416).
#pragma once
#include <cstdint>
#include <string_view>

namespace udn::cache::http {

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};

enum class RangeVerdict : std::uint8_t { ignore, satisfiable, unsatisfiable };

RangeVerdict parse_range(std::string_view value, std::uint64_t length_bytes, ByteRange& out);

}  // namespace udn::cache::http
