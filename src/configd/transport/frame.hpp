// The configd wire format inside TLS (documented in docs/configd.md): a 16-byte header
//   "UDNC" | format version (1) | message type (1) | reserved (2, zero) |
//   payload length (4, big-endian) | CRC-32 of the payload (4, big-endian, zlib's polynomial)
// then the payload: JSON length (4, big-endian) | JSON object | blob (the rest, e.g. file bytes).
// Every parser here treats its input as hostile and returns errors as values.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace udn::configd::transport {

inline constexpr std::size_t header_size_bytes = 16;
inline constexpr std::uint32_t max_payload_bytes = 64u * 1024 * 1024;
inline constexpr std::uint8_t format_version = 1;

enum class MessageType : std::uint8_t {
    prepare = 1,        // json: signed envelope + route; blob: file bytes
    commit = 2,         // json: push id + route
    abort = 3,          // json: push id + route
    status = 4,         // json: {}
    fetch = 5,          // json: version (0 = committed)
    node_result = 16,   // json: one node's outcome, streamed up the tree
    done = 17,          // json: {} — end of a stream of node results
    status_reply = 18,  // json: committed version, hash, pending pushes
    fetch_reply = 19,   // json: signed envelope (or found=false); blob: file bytes
    error = 20,         // json: reason
};

std::string_view to_string(MessageType type);

struct Frame {
    MessageType type = MessageType::error;
    nlohmann::json json = nlohmann::json::object();
    std::string blob;
};

struct Header {
    MessageType type = MessageType::error;
    std::uint32_t payload_size_bytes = 0;
    std::uint32_t crc32 = 0;
};

struct DecodeError {
    std::string reason;
};

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

std::string encode_frame(const Frame& frame);
// The frame without its blob: header (whose CRC covers the blob too), JSON length and JSON.
// A sender writes this, then frame.blob itself, so a 1 MB file is never copied to be sent.
std::string encode_frame_head(const Frame& frame);
std::variant<Header, DecodeError> decode_header(std::span<const std::uint8_t> bytes);
std::variant<Frame, DecodeError> decode_payload(const Header& header, std::span<const std::uint8_t> payload);
// The same, taking over the payload's buffer for the blob (no copy of a 1 MB file).
std::variant<Frame, DecodeError> decode_payload(const Header& header, std::string&& payload);

// Whole-buffer convenience for tests and the fuzz target: one frame, nothing after it.
std::variant<Frame, DecodeError> decode_frame(std::span<const std::uint8_t> bytes);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace udn::configd::transport
