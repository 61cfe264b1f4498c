#include "common/report/key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace udn::report {
namespace {

int hex_value(char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<Key> Key::from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0 || hex.size() / 2 < min_key_bytes) return std::nullopt;
    std::vector<std::uint8_t> bytes(hex.size() / 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return Key{std::move(bytes)};
}

std::optional<Key> Key::from_bytes(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < min_key_bytes) return std::nullopt;
    return Key{std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
}

Mac Key::mac(std::span<const std::uint8_t> data) const {
    Mac out{};
    unsigned length = 0;
    HMAC(EVP_sha256(), bytes_.data(), static_cast<int>(bytes_.size()), data.data(), data.size(), out.data(),
         &length);
    return out;
}

bool Key::verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> mac) const {
    if (mac.size() != mac_bytes) return false;
    const Mac expected = this->mac(data);
    return CRYPTO_memcmp(expected.data(), mac.data(), mac_bytes) == 0;
}

}  // namespace udn::report
