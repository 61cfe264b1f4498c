#include "probe/service/content_match.hpp"

#include <algorithm>
#include <cctype>

namespace udn::probe::service {

ContentMatcher::ContentMatcher(const config::ServiceCheck& check)
    : substring_(check.expect_substring), sha256_hex_(check.expect_sha256) {
    if (!check.expect_regex.empty()) regex_.emplace(check.expect_regex, std::regex::ECMAScript);
    std::transform(sha256_hex_.begin(), sha256_hex_.end(), sha256_hex_.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

std::optional<std::string> ContentMatcher::mismatch(std::string_view body, std::string_view body_sha256_hex) const {
    if (!substring_.empty() && body.find(substring_) == std::string_view::npos) {
        return "body lacks \"" + substring_ + "\"";
    }
    if (regex_ && !std::regex_search(body.begin(), body.end(), *regex_)) return "body does not match the regex";
    if (!sha256_hex_.empty() && body_sha256_hex != sha256_hex_) return "body sha256 differs";
    return std::nullopt;
}

}  // namespace udn::probe::service
