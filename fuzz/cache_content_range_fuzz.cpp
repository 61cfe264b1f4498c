// libFuzzer target: an origin's Content-Range header, as a slice fetch parses it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cache/http/content_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto range = udn::cache::http::parse_content_range(input)) {
        if (range->first > range->last || range->last >= range->complete_length_bytes) __builtin_trap();
    }
    return 0;
}
