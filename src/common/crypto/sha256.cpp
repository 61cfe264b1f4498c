#include "common/crypto/sha256.hpp"

#include <stdexcept>

namespace udn::crypto {

Sha256::Sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 is not available from OpenSSL");
}

void Sha256::add(std::string_view bytes) {
    EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size());
}

std::array<std::uint8_t, sha256_bytes> Sha256::finish() {
    std::array<std::uint8_t, sha256_bytes> digest{};
    unsigned length = 0;
    EVP_DigestFinal_ex(context_.get(), digest.data(), &length);
    return digest;
}

std::string Sha256::finish_hex() {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (const auto byte : finish()) {
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

}  // namespace udn::crypto
