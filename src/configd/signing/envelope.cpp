#include "configd/signing/envelope.hpp"

#include <openssl/rand.h>

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include "common/crypto/hex.hpp"
#include "common/crypto/sha256.hpp"

namespace udn::configd {

namespace {

void append_big_endian(std::string& out, std::uint64_t value, int size_bytes) {
    for (int shift = (size_bytes - 1) * 8; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

}  // namespace

std::string signed_message(const SignedConfig& config) {
    std::string message = "udn-configd-v1\n";
    append_big_endian(message, config.version, 8);
    append_big_endian(message, config.key_name.size() & 0xffff, 2);
    message += config.key_name.substr(0, 0xffff);
    append_big_endian(message, config.push_id.size() & 0xffff, 2);
    message += config.push_id.substr(0, 0xffff);
    const auto digest = crypto::sha256(config.file_bytes);
    message.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return message;
}

SignedConfig sign_config(std::string file_bytes, std::uint64_t version, std::string key_name, std::string push_id,
                         const signing::PrivateKey& key) {
    SignedConfig config{version, std::move(key_name), std::move(push_id), std::move(file_bytes), {}};
    config.signature = key.sign(signed_message(config));
    return config;
}

std::string random_push_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("OpenSSL could not produce random bytes for a push id");
    }
    return crypto::to_hex(bytes);
}

Verdict verify_signed_config(const SignedConfig& incoming, const config::Config& current,
                             std::uint64_t committed_version) {
    if (incoming.signature.empty()) return Verdict::reject("unsigned configuration");
    const config::AdminKey* admin_key = nullptr;
    for (const auto& key : current.admin_keys) {
        if (key.name == incoming.key_name) admin_key = &key;
    }
    if (admin_key == nullptr) {
        return Verdict::reject(fmt::format("signed by key '{}', which is not an admin key of the committed "
                                           "configuration (version {})",
                                           incoming.key_name, committed_version));
    }
    const auto public_key = signing::base64_decode(admin_key->public_key);
    if (!public_key || public_key->size() != signing::public_key_size_bytes) {
        return Verdict::reject(fmt::format("admin key '{}' of the committed configuration is not base64 of 32 bytes",
                                           admin_key->name));
    }
    if (!signing::verify(*public_key, signed_message(incoming), incoming.signature)) {
        return Verdict::reject(fmt::format("bad signature: the file, version or push id was altered, or it was "
                                           "not signed by admin key '{}'",
                                           incoming.key_name));
    }
    if (incoming.version <= committed_version) {
        return Verdict::reject(fmt::format("version {} is not newer than the committed version {} (old or replayed)",
                                           incoming.version, committed_version));
    }
    return Verdict::accept();
}

Verdict verify_file_version(const SignedConfig& incoming, const config::Config& parsed) {
    if (parsed.version != incoming.version) {
        return Verdict::reject(fmt::format("the file says version = {} but was signed as version {}", parsed.version,
                                           incoming.version));
    }
    return Verdict::accept();
}

}  // namespace udn::configd
