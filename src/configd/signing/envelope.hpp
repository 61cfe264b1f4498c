// The signed unit of configuration distribution: the exact file bytes, their version, a push id
// (unique per push, so a captured message cannot be replayed), the admin key's name and its
// Ed25519 signature over all of these. docs/configd.md defines the signed message byte by byte.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/config.hpp"
#include "configd/signing/ed25519.hpp"

namespace udn::configd {

struct SignedConfig {
    std::uint64_t version = 0;
    std::string key_name;
    std::string push_id;     // 32 hex characters, random per push
    std::string file_bytes;  // the TOML file exactly as the operator wrote it
    std::string signature;   // raw 64 bytes
};

// "udn-configd-v1\n" | version (8 bytes, big-endian) | len(key_name) (2 bytes) | key_name |
// len(push_id) (2 bytes) | push_id | sha256(file_bytes) (32 bytes)
std::string signed_message(const SignedConfig& config);

SignedConfig sign_config(std::string file_bytes, std::uint64_t version, std::string key_name, std::string push_id,
                         const signing::PrivateKey& key);

std::string random_push_id();

// Why a node refuses a configuration (empty reason = accepted).
struct Verdict {
    bool accepted = false;
    std::string reason;
    static Verdict accept() { return {true, {}}; }
    static Verdict reject(std::string why) { return {false, std::move(why)}; }
};

// The checks that need no parsing of the new file: signed by an admin key that the node's
// CURRENT committed configuration lists, and newer than what the node has committed.
Verdict verify_signed_config(const SignedConfig& incoming, const config::Config& current,
                             std::uint64_t committed_version);

// After the new file is parsed: the version inside the file must be the signed version.
Verdict verify_file_version(const SignedConfig& incoming, const config::Config& parsed);

}  // namespace udn::configd
