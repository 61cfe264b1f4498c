// HTTP-date (RFC 9110 section 5.6.7): parses the three historical formats, formats IMF-fixdate.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace udn::cache::http {

// Seconds since the Unix epoch, or nullopt for anything that is not a valid HTTP-date.
std::optional<std::int64_t> parse_http_date(std::string_view text);
// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string format_http_date(std::int64_t unix_s);

}  // namespace udn::cache::http
