// Strict HTTP/1.1 request-head parser (RFC 9112) for the edge cache. Everything that could let
// two parties disagree about where a request ends (smuggling) is rejected rather than repaired:
// bare CR or LF, obs-fold, whitespace before the colon, duplicate or malformed Content-Length,
// Content-Length together with Transfer-Encoding, any transfer coding but a final "chunked".
// Parsing never throws and never allocates beyond the caller's reusable header vector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

enum class Method : std::uint8_t { get, head, post, put, patch, del, options, other };

struct Header {
    std::string_view name;   // as received; compare case-insensitively
    std::string_view value;  // leading/trailing whitespace removed
};

struct Limits {
    std::size_t max_request_line_bytes = 8192;  // beyond: 414
    std::size_t max_head_bytes = 16384;         // request line + headers; beyond: 431
    std::size_t max_header_count = 100;         // beyond: 431
};

// Views into the caller's buffer: valid while that buffer is unchanged.
struct RequestHead {
    Method method = Method::other;
    std::string_view method_text;
    std::string_view target;
    int version_minor = 1;                       // HTTP/1.<minor>
    std::vector<Header>* headers = nullptr;      // caller-owned, reused between requests
    std::string_view host;                       // the single Host header (may be empty for 1.0)
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool keep_alive = true;                      // after Connection and version defaults
    bool expect_continue = false;

    std::optional<std::string_view> header(std::string_view name) const;
    bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

enum class ParseStatus : std::uint8_t { complete, need_more, error };

struct ParseResult {
    ParseStatus status = ParseStatus::need_more;
    std::size_t head_bytes = 0;  // complete: bytes of the head including the final CRLF
    int error_status = 0;        // error: the HTTP status to answer (400, 414, 431, 501, 505)
    std::string_view error_reason;  // error: short explanation for logs and the error body
};

// Parses the request head at the start of `input`. `head.headers` must point at a vector the
// parser may clear and fill.
ParseResult parse_request_head(std::span<const char> input, const Limits& limits, RequestHead& head);

}  // namespace udn::cache::http
