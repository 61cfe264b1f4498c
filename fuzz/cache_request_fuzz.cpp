// libFuzzer target: the cache's request-side parsers (request head, chunked request bodies,
// request-target checks, Cache-Control and HTTP-date) on arbitrary bytes. They must never
// crash, read out of bounds or loop, and a complete parse must stay inside the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cache/http/cache_control.hpp"
#include "cache/http/chunked.hpp"
#include "cache/http/date.hpp"
#include "cache/http/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const char> input(reinterpret_cast<const char*>(data), size);
    std::vector<udn::cache::http::Header> headers;
    udn::cache::http::RequestHead head;
    head.headers = &headers;
    const udn::cache::http::Limits limits;
    const auto result = udn::cache::http::parse_request_head(input, limits, head);
    if (result.status == udn::cache::http::ParseStatus::complete) {
        if (result.head_bytes > size) __builtin_trap();
        for (const auto& header : headers) {
            udn::cache::http::CacheControl cc;
            udn::cache::http::parse_cache_control(header.value, cc);
            (void)udn::cache::http::parse_http_date(header.value);
        }
        if (head.chunked) {
            udn::cache::http::ChunkedDecoder decoder;
            auto rest = input.subspan(result.head_bytes);
            while (!rest.empty()) {
                const auto step = decoder.next(rest);
                if (step.consumed > rest.size()) __builtin_trap();
                if (step.error || step.done || step.consumed == 0) break;
                rest = rest.subspan(step.consumed);
            }
        }
    }
    return 0;
}
