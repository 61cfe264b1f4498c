// Bytes as lower-case hex text and back: digests in file names, replies and signatures; keys in
// the configuration.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace udn::crypto {

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::string_view bytes);

// The bytes of `hex` (digits of either case); nullopt unless it is an even number of hex digits.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);

}  // namespace udn::crypto
