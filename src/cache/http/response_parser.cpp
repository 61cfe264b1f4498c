// Strict origin response-head parser; see response_parser.hpp.
#include "cache/http/response_parser.hpp"

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

namespace {

ResponseParseResult fail(std::string_view reason) {
    return ResponseParseResult{ParseStatus::error, 0, reason};
}

bool parse_status_line(std::string_view line, ResponseHead& head) {
    // "HTTP/1.x SSS reason"
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
    if (line[7] != '0' && line[7] != '1') return false;
    head.version_minor = line[7] - '0';
    int status = 0;
    for (int i = 9; i < 12; ++i) {
        const char c = line[static_cast<std::size_t>(i)];
        if (c < '0' || c > '9') return false;
        status = status * 10 + (c - '0');
    }
    if (status < 100 || (line.size() > 12 && line[12] != ' ')) return false;
    head.status = status;
    return true;
}

}  // namespace

ResponseParseResult parse_response_head(std::span<const char> input, std::size_t max_head_bytes, ResponseHead& head) {
    const std::string_view text(input.data(), input.size());
    head.headers->clear();
    head.content_length.reset();
    head.chunked = false;
    bool bad = false;
    const auto status_end = line_end(text, 0, bad);
    if (bad) return fail("bare CR or LF in status line");
    if (status_end == std::string_view::npos) {
        if (text.size() > max_head_bytes) return fail("response head too large");
        return ResponseParseResult{};
    }
    if (!parse_status_line(text.substr(0, status_end), head)) return fail("malformed status line");
    head.keep_alive = head.version_minor == 1;
    bool seen_transfer_encoding = false;
    std::size_t pos = status_end + 2;
    while (true) {
        const auto end = line_end(text, pos, bad);
        if (bad) return fail("bare CR or LF in response header");
        if (end == std::string_view::npos) {
            if (text.size() > max_head_bytes) return fail("response head too large");
            return ResponseParseResult{};
        }
        if (end + 2 > max_head_bytes) return fail("response head too large");
        if (end == pos) {
            pos += 2;
            break;
        }
        const auto line = text.substr(pos, end - pos);
        pos = end + 2;
        if (line.front() == ' ' || line.front() == '\t') return fail("obsolete line folding");
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return fail("header without name");
        Header header{line.substr(0, colon), trim(line.substr(colon + 1))};
        if (!is_token(header.name) || !is_field_value(header.value)) return fail("invalid header");
        if (head.headers->size() >= 200) return fail("too many header fields");
        head.headers->push_back(header);
        if (iequals(header.name, "content-length")) {
            const auto value = decimal_value(header.value);
            if (!value || (head.content_length && *head.content_length != *value)) return fail("invalid Content-Length");
            head.content_length = value;
        } else if (iequals(header.name, "transfer-encoding")) {
            if (seen_transfer_encoding || !iequals(header.value, "chunked")) return fail("unsupported Transfer-Encoding");
            seen_transfer_encoding = true;
            head.chunked = true;
        } else if (iequals(header.name, "connection")) {
            if (list_contains(header.value, "close")) head.keep_alive = false;
            else if (list_contains(header.value, "keep-alive")) head.keep_alive = true;
        }
    }
    if (head.chunked && head.content_length) return fail("both Content-Length and Transfer-Encoding");
    return ResponseParseResult{ParseStatus::complete, pos, {}};
}

std::optional<std::string_view> ResponseHead::header(std::string_view name) const {
    for (const auto& h : *headers) {
        if (iequals(h.name, name)) return h.value;
    }
    return std::nullopt;
}

}  // namespace udn::cache::http
