#include "configd/signing/ed25519.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace udn::configd::signing {

struct PrivateKey::Impl {
    EVP_PKEY* key = nullptr;
    ~Impl() { EVP_PKEY_free(key); }
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

std::optional<PrivateKey> PrivateKey::from_pem(std::string_view pem, std::string& error) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) {
        error = "out of memory reading the key";
        return std::nullopt;
    }
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
        error = "not a PEM private key (expected '-----BEGIN PRIVATE KEY-----', e.g. made by "
                "'openssl genpkey -algorithm ed25519')";
        return std::nullopt;
    }
    if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(key);
        error = "the key is not an Ed25519 key; make one with 'openssl genpkey -algorithm ed25519'";
        return std::nullopt;
    }
    auto impl = std::make_unique<Impl>();
    impl->key = key;
    return PrivateKey{std::move(impl)};
}

std::optional<PrivateKey> PrivateKey::load_pem_file(const std::filesystem::path& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read admin key file " + path.string();
        return std::nullopt;
    }
    const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto key = from_pem(pem, error);
    if (!key) error = path.string() + ": " + error;
    return key;
}

PrivateKey PrivateKey::generate() {
    EVP_PKEY* key = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        throw std::runtime_error("OpenSSL could not generate an Ed25519 key");
    }
    EVP_PKEY_CTX_free(ctx);
    auto impl = std::make_unique<Impl>();
    impl->key = key;
    return PrivateKey{std::move(impl)};
}

std::string PrivateKey::public_key_raw() const {
    std::string out(public_key_size_bytes, '\0');
    std::size_t length = out.size();
    if (EVP_PKEY_get_raw_public_key(impl_->key, reinterpret_cast<unsigned char*>(out.data()), &length) <= 0) {
        throw std::runtime_error("OpenSSL could not export the public key");
    }
    out.resize(length);
    return out;
}

std::string PrivateKey::sign(std::string_view message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string out(signature_size_bytes, '\0');
    std::size_t length = out.size();
    const bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->key) > 0 &&
                    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &length,
                                   reinterpret_cast<const unsigned char*>(message.data()), message.size()) > 0;
    EVP_MD_CTX_free(ctx);
    if (!ok) throw std::runtime_error("OpenSSL could not sign");
    out.resize(length);
    return out;
}

std::string PrivateKey::to_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, impl_->key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return pem;
}

bool verify(std::string_view public_key_raw, std::string_view message, std::string_view signature) {
    if (public_key_raw.size() != public_key_size_bytes || signature.size() != signature_size_bytes) return false;
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(public_key_raw.data()),
                                                public_key_raw.size());
    if (key == nullptr) return false;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) > 0 &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

namespace {
constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int values[4];
        int padding = 0;
        for (int j = 0; j < 4; ++j) {
            const char c = text[i + static_cast<std::size_t>(j)];
            if (c == '=' && last && j >= 2) {
                values[j] = 0;
                ++padding;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after padding
            values[j] = decode_char(c);
            if (values[j] < 0) return std::nullopt;
        }
        const unsigned v = (static_cast<unsigned>(values[0]) << 18) | (static_cast<unsigned>(values[1]) << 12) |
                           (static_cast<unsigned>(values[2]) << 6) | static_cast<unsigned>(values[3]);
        out += static_cast<char>((v >> 16) & 0xff);
        if (padding < 2) out += static_cast<char>((v >> 8) & 0xff);
        if (padding < 1) out += static_cast<char>(v & 0xff);
    }
    return out;
}

}  // namespace udn::configd::signing
