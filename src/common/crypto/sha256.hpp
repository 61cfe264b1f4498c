// SHA-256 (OpenSSL's EVP): of bytes given a piece at a time, for data too large or too scattered
// to hash in one call (a probe's response body, the DNS role's client-state file), and of one
// buffer in memory (a configuration file, a cache object, a disk-tier file name).
#pragma once
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace udn::crypto {

inline constexpr std::size_t sha256_bytes = 32;
using Sha256Digest = std::array<std::uint8_t, sha256_bytes>;

class Sha256 {
public:
    // Throws std::runtime_error when OpenSSL cannot provide SHA-256.
    Sha256();

    void add(std::string_view bytes);
    // The digest of everything added; the object is spent afterwards.
    Sha256Digest finish();
    // The same as lower-case hex.
    std::string finish_hex();

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

// Of one buffer. Throw as Sha256() does.
Sha256Digest sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);  // lower case

}  // namespace udn::crypto
