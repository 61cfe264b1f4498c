#include "common/config/names.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <regex>

namespace udn::config {
namespace {

bool is_label_char(char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }

}  // namespace

std::string check_dns_name(const std::string& name) {
    if (name.empty()) return "the name is empty\nwrite a fully qualified name such as www.example.com";
    if (name.size() > 253) return "the name is longer than 253 characters\nuse a shorter name";
    if (name.back() == '.') return "the name ends with a dot\nwrite it without the trailing dot";
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == '.') {
            const auto length = i - label_start;
            if (length == 0) return "the name has an empty label (two dots in a row, or a leading dot)\nremove the extra dot";
            if (length > 63) return "a label is longer than 63 characters\nshorten that label";
            if (name[label_start] == '-' || name[i - 1] == '-') {
                return "a label starts or ends with '-'\nlabels may only have hyphens inside";
            }
            label_start = i + 1;
            continue;
        }
        if (std::isupper(static_cast<unsigned char>(name[i]))) return "the name has upper-case letters\nwrite it in lower case";
        if (!is_label_char(name[i])) {
            return std::string{"the name has the character '"} + name[i] + "'\nuse only letters, digits, '-' and '.'";
        }
    }
    return {};
}

std::string check_entity_name(const std::string& name) {
    if (name.empty()) return "the name is empty\ngive it a short name such as eu-west";
    if (name.size() > 63) return "the name is longer than 63 characters\nuse a shorter name";
    if (!is_label_char(name[0]) || name[0] == '-') return "the name must start with a lower-case letter or digit\nrename it";
    for (char c : name) {
        if (!is_label_char(c) && c != '_') {
            return std::string{"the name has the character '"} + c + "'\nuse only lower-case letters, digits, '-' and '_'";
        }
    }
    return {};
}

std::string check_report_key(const std::string& hex) {
    if (hex.size() < 64 || hex.size() % 2 != 0) {
        return "the key must be at least 32 bytes written as hex (64+ hex digits)\ngenerate one with: head -c 32 /dev/urandom | xxd -p -c 64";
    }
    for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return "the key has a character that is not a hex digit\ngenerate one with: head -c 32 /dev/urandom | xxd -p -c 64";
        }
    }
    return {};
}

std::string check_admin_public_key(const std::string& base64) {
    unsigned char decoded[64] = {};
    if (base64.size() != 44) {
        return "not a base64 Ed25519 public key (44 characters)\nprint it with: openssl pkey -in admin.key -pubout -outform DER | tail -c 32 | base64";
    }
    const int length = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(base64.data()),
                                       static_cast<int>(base64.size()));
    // EVP_DecodeBlock counts padding bytes; 32 bytes encode to 44 characters with one '='.
    if (length != 33 || base64.back() != '=') {
        return "not a base64 Ed25519 public key (32 bytes)\nprint it with: openssl pkey -in admin.key -pubout -outform DER | tail -c 32 | base64";
    }
    return {};
}

std::string check_mailbox(const std::string& mailbox) {
    const auto at = mailbox.find('@');
    if (at == std::string::npos || at == 0) return "not a mailbox\nwrite it as hostmaster@example.net";
    const auto domain_problem = check_dns_name(mailbox.substr(at + 1));
    if (!domain_problem.empty()) return "the mailbox domain is not valid: " + domain_problem;
    return {};
}

std::string check_sha256_hex(const std::string& hex) {
    if (hex.size() != 64) return "not a SHA-256 digest (64 hex digits)\nprint one with: sha256sum FILE";
    for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return "not a SHA-256 digest (hex digits only)\nprint one with: sha256sum FILE";
    }
    return {};
}

std::string check_regex(const std::string& pattern) {
    // libstdc++ compiles regexes recursively: bound the size and nesting so that no configuration
    // can exhaust the stack of `udn check` or of a probe.
    if (pattern.size() > 512) return "the regular expression is longer than 512 characters\nuse a shorter pattern";
    int depth = 0;
    for (char c : pattern) {
        depth += c == '(' ? 1 : (c == ')' ? -1 : 0);
        if (depth > 16) return "the regular expression nests groups deeper than 16\nsimplify the pattern";
    }
    try {
        std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        return std::string{"not a valid regular expression ("} + error.what() + ")\nfix the pattern (ECMAScript syntax)";
    }
    return {};
}

std::string check_path(const std::string& path) {
    if (path.empty() || path[0] != '/') return "not an absolute URL path\nstart it with '/', e.g. /health";
    for (char c : path) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "the path has a space or control character\npercent-encode it";
    }
    return {};
}

bool is_in_zone(std::string_view name, std::string_view zone) {
    if (name == zone) return true;
    return name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

}  // namespace udn::config
