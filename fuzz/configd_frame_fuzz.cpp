// Fuzzes the configd wire format: frame header, checksum, JSON payload and every message decoder.
#include <cstddef>
#include <cstdint>
#include <span>

#include "configd/transport/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace udn::configd::transport;
    const std::span<const std::uint8_t> bytes(data, size);
    auto decoded = decode_frame(bytes);
    // Also exercise the payload parser on frames whose checksum we fix up, so the fuzzer gets
    // past the CRC and into the JSON and message decoders.
    if (std::holds_alternative<DecodeError>(decoded) && size >= header_size_bytes) {
        auto header = decode_header(bytes);
        if (auto* parsed = std::get_if<Header>(&header)) {
            const auto payload = bytes.subspan(header_size_bytes);
            if (payload.size() == parsed->payload_size_bytes) {
                parsed->crc32 = crc32(payload);
                decoded = decode_payload(*parsed, payload);
            }
        }
    }
    if (const auto* frame = std::get_if<Frame>(&decoded)) {
        (void)decode_prepare(*frame);
        (void)decode_phase(*frame);
        (void)decode_node_result(*frame);
        (void)decode_status_reply(*frame);
        (void)decode_fetch(*frame);
        (void)decode_fetch_reply(*frame);
    }
    return 0;
}
