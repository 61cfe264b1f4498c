// Checks and helpers for the names that appear in the configuration: DNS names, entity names,
// keys. Each check returns "" when the value is valid, else "what is wrong\nhow to fix it".
#pragma once
#include <string>
#include <string_view>

namespace udn::config {

// A fully qualified DNS name as written in the configuration: lower case, no trailing dot,
// labels of 1-63 letters, digits or hyphens (not at either end), at most 253 characters.
std::string check_dns_name(const std::string& name);
// Entity names (POPs, servers, customers, origins): [a-z0-9][a-z0-9-_]*, at most 63 characters.
std::string check_entity_name(const std::string& name);
// The network's HMAC key: hex, at least 32 bytes.
std::string check_report_key(const std::string& hex);
// An admin key: base64 of a raw 32-byte Ed25519 public key.
std::string check_admin_public_key(const std::string& base64);
// A hostmaster mailbox such as hostmaster@example.net.
std::string check_mailbox(const std::string& mailbox);
std::string check_sha256_hex(const std::string& hex);
std::string check_regex(const std::string& pattern);
std::string check_path(const std::string& path);

// True when name equals zone or lies below it ("a.b.example" in "b.example").
bool is_in_zone(std::string_view name, std::string_view zone);

}  // namespace udn::config
