#include "common/report/key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/crypto/hex.hpp"

namespace udn::report {

std::optional<Key> Key::from_hex(std::string_view hex) {
    auto bytes = crypto::from_hex(hex);
    if (!bytes || bytes->size() < min_key_bytes) return std::nullopt;
    return Key{std::move(*bytes)};
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
