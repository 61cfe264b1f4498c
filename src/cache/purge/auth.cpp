// HMAC authentication of admin requests; see auth.hpp.
#include "cache/purge/auth.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <span>

#include "cache/http/syntax.hpp"
#include "common/crypto/hex.hpp"
#include "common/report/key.hpp"

namespace udn::cache::purge {

std::string sign(std::string_view key_hex, std::string_view method, std::string_view target, std::int64_t unix_s) {
    const auto key = report::Key::from_hex(key_hex);
    if (!key) return {};
    const std::string message = std::string(method) + "\n" + std::string(target) + "\n" + std::to_string(unix_s);
    return crypto::to_hex(key->mac(std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size())));
}

std::string authorization_header(std::string_view key_hex, std::string_view method, std::string_view target,
                                 std::int64_t unix_s) {
    return "UDN-HMAC t=" + std::to_string(unix_s) + ", s=" + sign(key_hex, method, target, unix_s);
}

std::string verify(std::string_view key_hex, std::string_view method, std::string_view target,
                   std::optional<std::string_view> authorization, std::int64_t now_s) {
    if (key_hex.empty()) return "no admin key configured (network.report_key)";
    if (!authorization) return "missing Authorization: UDN-HMAC t=<unix>, s=<hmac>";
    auto value = http::trim(*authorization);
    if (!value.starts_with("UDN-HMAC ")) return "Authorization scheme must be UDN-HMAC";
    value.remove_prefix(9);
    std::string_view time_text;
    std::string_view signature;
    while (!value.empty()) {
        const auto comma = value.find(',');
        const auto item = http::trim(value.substr(0, comma));
        if (item.starts_with("t=")) time_text = item.substr(2);
        else if (item.starts_with("s=")) signature = item.substr(2);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    std::int64_t unix_s = 0;
    const auto [end, ec] = std::from_chars(time_text.data(), time_text.data() + time_text.size(), unix_s);
    if (time_text.empty() || ec != std::errc{} || end != time_text.data() + time_text.size()) return "bad t= timestamp";
    if (unix_s > now_s + max_clock_skew_s || unix_s < now_s - max_clock_skew_s) return "timestamp outside the allowed clock skew";
    const auto expected = sign(key_hex, method, target, unix_s);
    if (expected.empty()) return "admin key is not 32 or more bytes written as hex (network.report_key)";
    if (signature.size() != expected.size() || CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
        return "bad signature";
    }
    return {};
}

}  // namespace udn::cache::purge
