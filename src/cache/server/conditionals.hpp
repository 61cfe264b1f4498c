// Client conditionals answered from a stored response: If-None-Match / If-Modified-Since (304)
// and If-Range (whether a Range may be honoured).
#pragma once
#include <string_view>

#include "cache/http/request_parser.hpp"
#include "cache/store/object.hpp"

namespace udn::cache::server {

// Weak comparison of entity tags (RFC 9110 section 8.8.3.2) against a list or "*".
bool etag_matches(std::string_view list, std::string_view etag);

// Whether a stored 200 (or a slice of one) answers the request's conditionals with 304.
bool client_not_modified(const http::RequestHead& head, const store::ObjectMeta& meta);

// If-Range (RFC 9110 section 13.1.5): a strong entity tag equal to the stored one, or exactly
// the stored Last-Modified; anything else means "send the whole object".
bool if_range_allows(const http::RequestHead& head, const store::ObjectMeta& meta);

}  // namespace udn::cache::server
