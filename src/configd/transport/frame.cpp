#include "configd/transport/frame.hpp"

#include <array>
#include <cstring>

namespace udn::configd::transport {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t value = i;
        for (int bit = 0; bit < 8; ++bit) value = (value & 1) ? (0xEDB88320u ^ (value >> 1)) : (value >> 1);
        table[i] = value;
    }
    return table;
}
constexpr auto crc_table = make_crc_table();

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

std::uint32_t get_u32(std::span<const std::uint8_t> bytes) {
    std::array<std::uint8_t, 4> raw{};
    std::memcpy(raw.data(), bytes.data(), raw.size());
    return (std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) | (std::uint32_t{raw[2]} << 8) | raw[3];
}

bool known_type(std::uint8_t type) {
    return (type >= 1 && type <= 5) || (type >= 16 && type <= 20);
}

}  // namespace

std::string_view to_string(MessageType type) {
    switch (type) {
        case MessageType::prepare: return "prepare";
        case MessageType::commit: return "commit";
        case MessageType::abort: return "abort";
        case MessageType::status: return "status";
        case MessageType::fetch: return "fetch";
        case MessageType::node_result: return "node_result";
        case MessageType::done: return "done";
        case MessageType::status_reply: return "status_reply";
        case MessageType::fetch_reply: return "fetch_reply";
        case MessageType::error: return "error";
    }
    return "unknown";
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
    crc = ~crc;
    for (const auto byte : bytes) crc = crc_table[(crc ^ byte) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::string encode_frame(const Frame& frame) {
    // A default-constructed json is null; the format promises an object.
    const std::string json =
        frame.json.is_null() ? std::string{"{}"} : frame.json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string payload;
    payload.reserve(4 + json.size() + frame.blob.size());
    put_u32(payload, static_cast<std::uint32_t>(json.size()));
    payload += json;
    payload += frame.blob;
    std::string out = "UDNC";
    out += static_cast<char>(format_version);
    out += static_cast<char>(frame.type);
    out += std::string(2, '\0');
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    put_u32(out, crc32(as_bytes(payload)));
    out += payload;
    return out;
}

std::variant<Header, DecodeError> decode_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < header_size_bytes) return DecodeError{"truncated frame header"};
    if (std::memcmp(bytes.data(), "UDNC", 4) != 0) return DecodeError{"not a configd frame (bad magic)"};
    if (bytes[4] != format_version) return DecodeError{"unsupported frame format version " + std::to_string(bytes[4])};
    if (!known_type(bytes[5])) return DecodeError{"unknown message type " + std::to_string(bytes[5])};
    if (bytes[6] != 0 || bytes[7] != 0) return DecodeError{"reserved header bytes are not zero"};
    Header header;
    header.type = static_cast<MessageType>(bytes[5]);
    header.payload_size_bytes = get_u32(bytes.subspan(8, 4));
    header.crc32 = get_u32(bytes.subspan(12, 4));
    if (header.payload_size_bytes > max_payload_bytes) {
        return DecodeError{"frame payload of " + std::to_string(header.payload_size_bytes) + " bytes exceeds the limit"};
    }
    if (header.payload_size_bytes < 4) return DecodeError{"frame payload shorter than its JSON length field"};
    return header;
}

std::variant<Frame, DecodeError> decode_payload(const Header& header, std::span<const std::uint8_t> payload) {
    if (payload.size() != header.payload_size_bytes) return DecodeError{"payload size does not match the header"};
    if (crc32(payload) != header.crc32) return DecodeError{"payload checksum mismatch (corrupted in transit)"};
    const std::uint32_t json_size = get_u32(payload.subspan(0, 4));
    if (json_size > payload.size() - 4) return DecodeError{"JSON length runs past the end of the payload"};
    const auto json_bytes = payload.subspan(4, json_size);
    Frame frame;
    frame.type = header.type;
    frame.json = nlohmann::json::parse(json_bytes.begin(), json_bytes.end(), nullptr, false);
    if (frame.json.is_discarded() || !frame.json.is_object()) return DecodeError{"frame JSON is not an object"};
    const auto blob = payload.subspan(4 + json_size);
    frame.blob.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
    return frame;
}

std::variant<Frame, DecodeError> decode_frame(std::span<const std::uint8_t> bytes) {
    auto header = decode_header(bytes);
    if (auto* error = std::get_if<DecodeError>(&header)) return *error;
    const auto& parsed = std::get<Header>(header);
    if (bytes.size() - header_size_bytes != parsed.payload_size_bytes) {
        return DecodeError{"frame length does not match its header"};
    }
    return decode_payload(parsed, bytes.subspan(header_size_bytes));
}

}  // namespace udn::configd::transport
