// libFuzzer target: an origin's response as the cache parses it (status line, headers,
// chunked body) and the disk-tier file decoder (a damaged file must be refused, never crash).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cache/http/chunked.hpp"
#include "cache/http/response_parser.hpp"
#include "cache/store/disk_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const char> input(reinterpret_cast<const char*>(data), size);
    std::vector<udn::cache::http::Header> headers;
    udn::cache::http::ResponseHead head;
    head.headers = &headers;
    const auto result = udn::cache::http::parse_response_head(input, 32 * 1024, head);
    if (result.status == udn::cache::http::ParseStatus::complete && head.chunked) {
        udn::cache::http::ChunkedDecoder decoder;
        auto rest = input.subspan(result.head_bytes);
        while (!rest.empty()) {
            const auto step = decoder.next(rest);
            if (step.error || step.done || step.consumed == 0) break;
            rest = rest.subspan(step.consumed);
        }
    }
    (void)udn::cache::store::DiskStore::decode("key", std::string_view(input.data(), input.size()));
    return 0;
}
