// Ed25519 signatures through OpenSSL EVP: the admin tool signs configurations, every configd
// verifies them against the admin keys of its own committed configuration.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace udn::configd::signing {

inline constexpr std::size_t public_key_size_bytes = 32;
inline constexpr std::size_t signature_size_bytes = 64;

// An Ed25519 private key (the OpenSSL object stays behind the pimpl).
class PrivateKey {
public:
    // Reads a PEM (PKCS#8) file such as examples/demo-admin.key; nullopt and `error` on failure.
    static std::optional<PrivateKey> load_pem_file(const std::filesystem::path& path, std::string& error);
    static std::optional<PrivateKey> from_pem(std::string_view pem, std::string& error);
    static PrivateKey generate();

    PrivateKey(PrivateKey&&) noexcept;
    PrivateKey& operator=(PrivateKey&&) noexcept;
    ~PrivateKey();

    std::string public_key_raw() const;  // 32 bytes
    std::string sign(std::string_view message) const;  // 64 bytes
    std::string to_pem() const;

private:
    struct Impl;
    explicit PrivateKey(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// True only if `signature` is a valid Ed25519 signature of `message` by `public_key_raw`.
// Never throws; wrong sizes simply fail.
bool verify(std::string_view public_key_raw, std::string_view message, std::string_view signature);

std::string base64_encode(std::string_view bytes);
// Strict standard base64 (with padding); nullopt on any malformed input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace udn::configd::signing
