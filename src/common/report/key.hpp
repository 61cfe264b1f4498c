// The network's report key (config network.report_key) and the HMAC-SHA256 that
// authenticates every report-protocol datagram with it.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace udn::report {

inline constexpr std::size_t mac_bytes = 32;
inline constexpr std::size_t min_key_bytes = 32;
using Mac = std::array<std::uint8_t, mac_bytes>;

class Key {
public:
    // Parses the hex text of network.report_key; nullopt unless it is an even number of hex
    // digits encoding at least min_key_bytes bytes.
    static std::optional<Key> from_hex(std::string_view hex);
    // For tests and tools that hold raw key bytes; nullopt when shorter than min_key_bytes.
    static std::optional<Key> from_bytes(std::span<const std::uint8_t> bytes);

    Mac mac(std::span<const std::uint8_t> data) const;
    // Constant-time comparison of `mac` against the MAC of `data`.
    bool verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> mac) const;

private:
    explicit Key(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
    std::vector<std::uint8_t> bytes_;
};

}  // namespace udn::report
