// SHA-256 over bytes given a piece at a time (OpenSSL's EVP), for data too large or too
// scattered to hash in one call: a probe's response body, the DNS role's client-state file.
#pragma once
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace udn::crypto {

inline constexpr std::size_t sha256_bytes = 32;

class Sha256 {
public:
    // Throws std::runtime_error when OpenSSL cannot provide SHA-256.
    Sha256();

    void add(std::string_view bytes);
    // The digest of everything added; the object is spent afterwards.
    std::array<std::uint8_t, sha256_bytes> finish();
    // The same as lower-case hex.
    std::string finish_hex();

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

}  // namespace udn::crypto
