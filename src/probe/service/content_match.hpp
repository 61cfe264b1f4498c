// The HTTP content checks of a ServiceCheck: substring, ECMAScript regular expression and
// SHA-256 of the whole body. A 200 with the wrong content is a failure.
#pragma once
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "common/config/config.hpp"

namespace udn::probe::service {

class ContentMatcher {
public:
    // The regex is compiled once; a bad one throws std::regex_error (the config loader
    // validates regexes, so this only happens for a config that skipped validation).
    explicit ContentMatcher(const config::ServiceCheck& check);

    // Empty when the body passes every configured check, else what failed.
    std::optional<std::string> mismatch(std::string_view body, std::string_view body_sha256_hex) const;
    bool needs_body() const { return !substring_.empty() || regex_.has_value(); }

private:
    std::string substring_;
    std::optional<std::regex> regex_;
    std::string sha256_hex_;  // lower case
};

}  // namespace udn::probe::service
