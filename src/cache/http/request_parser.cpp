// Strict HTTP/1.1 request-head parser; see request_parser.hpp for what is rejected and why.
#include "cache/http/request_parser.hpp"

#include <algorithm>
#include <cstring>

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

namespace {

ParseResult fail(int status, std::string_view reason) {
    return ParseResult{ParseStatus::error, 0, status, reason};
}

Method method_of(std::string_view text) {
    if (text == "GET") return Method::get;
    if (text == "HEAD") return Method::head;
    if (text == "POST") return Method::post;
    if (text == "PUT") return Method::put;
    if (text == "PATCH") return Method::patch;
    if (text == "DELETE") return Method::del;
    if (text == "OPTIONS") return Method::options;
    return Method::other;
}

ParseResult parse_request_line(std::string_view line, RequestHead& head) {
    const auto first_space = line.find(' ');
    if (first_space == std::string_view::npos || first_space == 0) return fail(400, "malformed request line");
    head.method_text = line.substr(0, first_space);
    if (!is_token(head.method_text)) return fail(400, "invalid method");
    const auto second_space = line.find(' ', first_space + 1);
    if (second_space == std::string_view::npos) return fail(400, "malformed request line");
    head.target = line.substr(first_space + 1, second_space - first_space - 1);
    if (head.target.empty()) return fail(400, "empty request target");
    for (const char c : head.target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return fail(400, "invalid character in request target");
    }
    const auto version = line.substr(second_space + 1);
    if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") {
        if (version.size() == 8 && version.substr(0, 5) == "HTTP/") return fail(505, "HTTP version not supported");
        return fail(400, "malformed HTTP version");
    }
    if (version[7] == '1') head.version_minor = 1;
    else if (version[7] == '0') head.version_minor = 0;
    else return fail(505, "HTTP version not supported");
    head.method = method_of(head.method_text);
    return ParseResult{ParseStatus::complete};
}

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
    if (value.empty() || value.size() > 15) return std::nullopt;  // 15 digits: far beyond any body we accept
    std::uint64_t result = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        result = result * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return result;
}

// Applies the semantics of one header to `head`; returns an error result or complete. Most
// fields mean nothing here: the name's length picks the one candidate to compare, so a field
// costs one comparison at most instead of five.
ParseResult apply_header(const Header& header, RequestHead& head, bool& seen_content_length,
                         bool& seen_transfer_encoding, bool& seen_host) {
    switch (header.name.size()) {
    case 4:
        if (!iequals(header.name, "host")) break;
        if (seen_host) return fail(400, "duplicate Host");
        seen_host = true;
        head.host = header.value;
        break;
    case 6:
        if (!iequals(header.name, "expect")) break;
        if (!iequals(header.value, "100-continue")) return fail(417, "unsupported Expect");
        head.expect_continue = true;
        break;
    case 10:
        if (!iequals(header.name, "connection")) break;
        if (list_contains(header.value, "close")) head.keep_alive = false;
        else if (list_contains(header.value, "keep-alive")) head.keep_alive = true;
        break;
    case 14:
        if (!iequals(header.name, "content-length")) break;
        if (seen_content_length) return fail(400, "duplicate Content-Length");
        seen_content_length = true;
        head.content_length = parse_content_length(header.value);
        if (!head.content_length) return fail(400, "invalid Content-Length");
        break;
    case 17:
        if (!iequals(header.name, "transfer-encoding")) break;
        if (seen_transfer_encoding) return fail(400, "duplicate Transfer-Encoding");
        seen_transfer_encoding = true;
        if (!iequals(header.value, "chunked")) return fail(501, "unsupported Transfer-Encoding");
        head.chunked = true;
        break;
    default:
        break;
    }
    return ParseResult{ParseStatus::complete};
}

}  // namespace

ParseResult parse_request_head(std::span<const char> input, const Limits& limits, RequestHead& head) {
    const std::string_view text(input.data(), input.size());
    head.headers->clear();
    head.host = {};
    head.content_length.reset();
    head.chunked = false;
    head.expect_continue = false;

    bool bad = false;
    const auto request_line_end = line_end(text, 0, bad);
    if (bad) return fail(400, "bare CR or LF in request line");
    if (request_line_end == std::string_view::npos) {
        if (text.size() > limits.max_request_line_bytes) return fail(414, "request line too long");
        return ParseResult{ParseStatus::need_more};
    }
    if (request_line_end > limits.max_request_line_bytes) return fail(414, "request line too long");
    if (auto result = parse_request_line(text.substr(0, request_line_end), head); result.status == ParseStatus::error) {
        return result;
    }
    head.keep_alive = head.version_minor == 1;

    bool seen_content_length = false;
    bool seen_transfer_encoding = false;
    bool seen_host = false;
    std::size_t pos = request_line_end + 2;
    while (true) {
        const auto end = line_end(text, pos, bad);
        if (bad) return fail(400, "bare CR or LF in header");
        if (end == std::string_view::npos) {
            if (text.size() > limits.max_head_bytes) return fail(431, "request header fields too large");
            return ParseResult{ParseStatus::need_more};
        }
        if (end + 2 > limits.max_head_bytes) return fail(431, "request header fields too large");
        if (end == pos) {
            pos += 2;
            break;
        }
        const auto line = text.substr(pos, end - pos);
        pos = end + 2;
        if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding");
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return fail(400, "header without name");
        Header header{line.substr(0, colon), trim(line.substr(colon + 1))};
        if (!is_token(header.name)) return fail(400, "invalid header name (whitespace before colon?)");
        if (!is_field_value(header.value)) return fail(400, "invalid character in header value");
        if (head.headers->size() >= limits.max_header_count) return fail(431, "too many header fields");
        head.headers->push_back(header);
        if (auto result = apply_header(header, head, seen_content_length, seen_transfer_encoding, seen_host);
            result.status == ParseStatus::error) {
            return result;
        }
    }
    if (head.chunked && seen_content_length) return fail(400, "both Content-Length and Transfer-Encoding");
    if (head.chunked && head.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
    if (head.version_minor == 1 && !seen_host) return fail(400, "missing Host");
    return ParseResult{ParseStatus::complete, pos, 0, {}};
}

std::optional<std::string_view> RequestHead::header(std::string_view name) const {
    for (const auto& h : *headers) {
        if (iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
}

}  // namespace udn::cache::http
