#include "configd/transport/frame.hpp"

#include <zlib.h>

#include <array>
#include <cstring>
#include <limits>

namespace udn::configd::transport {

namespace {

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

// zlib's CRC-32 (the same polynomial as before, several bytes per step instead of one).
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
    uLong value = crc;
    while (!bytes.empty()) {
        const auto chunk = std::min<std::size_t>(bytes.size(), std::numeric_limits<uInt>::max());
        value = ::crc32(value, bytes.data(), static_cast<uInt>(chunk));
        bytes = bytes.subspan(chunk);
    }
    return static_cast<std::uint32_t>(value);
}

std::string encode_frame_head(const Frame& frame) {
    // A default-constructed json is null; the format promises an object.
    const std::string json =
        frame.json.is_null() ? std::string{"{}"} : frame.json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string json_part;
    json_part.reserve(4 + json.size());
    put_u32(json_part, static_cast<std::uint32_t>(json.size()));
    json_part += json;
    const auto crc = crc32(as_bytes(frame.blob), crc32(as_bytes(json_part)));
    std::string out = "UDNC";
    out += static_cast<char>(format_version);
    out += static_cast<char>(frame.type);
    out += std::string(2, '\0');
    put_u32(out, static_cast<std::uint32_t>(json_part.size() + frame.blob.size()));
    put_u32(out, crc);
    out += json_part;
    return out;
}

std::string encode_frame(const Frame& frame) { return encode_frame_head(frame) + frame.blob; }

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

namespace {

// Checks and parses everything but the blob; returns where the blob starts.
std::variant<std::size_t, DecodeError> decode_into(const Header& header, std::span<const std::uint8_t> payload,
                                                   Frame& frame) {
    if (payload.size() != header.payload_size_bytes) return DecodeError{"payload size does not match the header"};
    if (payload.size() < 4) return DecodeError{"frame payload shorter than its JSON length field"};
    if (crc32(payload) != header.crc32) return DecodeError{"payload checksum mismatch (corrupted in transit)"};
    const std::uint32_t json_size = get_u32(payload.subspan(0, 4));
    if (json_size > payload.size() - 4) return DecodeError{"JSON length runs past the end of the payload"};
    const auto json_bytes = payload.subspan(4, json_size);
    frame.type = header.type;
    frame.json = nlohmann::json::parse(json_bytes.begin(), json_bytes.end(), nullptr, false);
    if (frame.json.is_discarded() || !frame.json.is_object()) return DecodeError{"frame JSON is not an object"};
    return std::size_t{4} + json_size;
}

}  // namespace

std::variant<Frame, DecodeError> decode_payload(const Header& header, std::span<const std::uint8_t> payload) {
    Frame frame;
    auto decoded = decode_into(header, payload, frame);
    if (auto* error = std::get_if<DecodeError>(&decoded)) return std::move(*error);
    const auto blob = payload.subspan(std::get<std::size_t>(decoded));
    frame.blob.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
    return frame;
}

std::variant<Frame, DecodeError> decode_payload(const Header& header, std::string&& payload) {
    Frame frame;
    auto decoded = decode_into(header, as_bytes(payload), frame);
    if (auto* error = std::get_if<DecodeError>(&decoded)) return std::move(*error);
    payload.erase(0, std::get<std::size_t>(decoded));  // moves the blob down in place
    frame.blob = std::move(payload);
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
