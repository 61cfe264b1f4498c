// Strict parser of an origin's HTTP/1.x response head. Origins are network input too: a
// response whose framing is ambiguous (Content-Length with Transfer-Encoding, duplicate
// lengths, bare CR/LF, obs-fold) is refused (the client gets 502), never guessed at.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cache/http/request_parser.hpp"

namespace udn::cache::http {

struct ResponseHead {
    int status = 0;
    int version_minor = 1;
    std::vector<Header>* headers = nullptr;  // caller-owned
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool keep_alive = true;

    std::optional<std::string_view> header(std::string_view name) const;
};

struct ResponseParseResult {
    ParseStatus status = ParseStatus::need_more;
    std::size_t head_bytes = 0;
    std::string_view error_reason;
};

ResponseParseResult parse_response_head(std::span<const char> input, std::size_t max_head_bytes, ResponseHead& head);

}  // namespace udn::cache::http
