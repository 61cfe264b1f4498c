// The request parser accepts well-formed requests and refuses every smuggling vector.
#include <gtest/gtest.h>

#include <string>

#include "cache/http/request_parser.hpp"

namespace udn::cache::http {
namespace {

struct Parsed {
    ParseResult result;
    RequestHead head;
    std::vector<Header> headers;
};

ParseResult parse(const std::string& text, RequestHead& head, std::vector<Header>& headers, Limits limits = {}) {
    head.headers = &headers;
    return parse_request_head(std::span<const char>(text.data(), text.size()), limits, head);
}

int status_of(const std::string& text, Limits limits = {}) {
    RequestHead head;
    std::vector<Header> headers;
    const auto result = parse(text, head, headers, limits);
    if (result.status == ParseStatus::complete) return 0;
    if (result.status == ParseStatus::need_more) return -1;
    return result.error_status;
}

TEST(RequestParser, ParsesSimpleGet) {
    RequestHead head;
    std::vector<Header> headers;
    const std::string text = "GET /a?b=c HTTP/1.1\r\nHost: Example.com\r\nAccept:  */* \r\n\r\nGET /next";
    const auto result = parse(text, head, headers);
    ASSERT_EQ(result.status, ParseStatus::complete);
    EXPECT_EQ(result.head_bytes, text.find("GET /next"));
    EXPECT_EQ(head.method, Method::get);
    EXPECT_EQ(head.target, "/a?b=c");
    EXPECT_EQ(head.host, "Example.com");
    EXPECT_EQ(head.header("accept"), "*/*");
    EXPECT_TRUE(head.keep_alive);
    EXPECT_FALSE(head.has_body());
}

TEST(RequestParser, NeedsMoreUntilTheBlankLine) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), -1);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r"), -1);
}

TEST(RequestParser, HttpOneZeroDefaultsToClose) {
    RequestHead head;
    std::vector<Header> headers;
    ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", head, headers).status, ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", head, headers).status, ParseStatus::complete);
    EXPECT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", head, headers).status, ParseStatus::complete);
    EXPECT_FALSE(head.keep_alive);
}

TEST(RequestParser, RefusesContentLengthWithTransferEncoding) {
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
}

TEST(RequestParser, RefusesDuplicateOrInvalidContentLength) {
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
}

TEST(RequestParser, RefusesUnknownTransferCodings) {
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestParser, RefusesObsFoldBareCrLfAndSpaceBeforeColon) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"), 400);
}

TEST(RequestParser, RequiresExactlyOneHostInHttp11) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(RequestParser, RefusesBadRequestLines) {
    EXPECT_EQ(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    EXPECT_EQ(status_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
    EXPECT_EQ(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParser, EnforcesSizeLimits) {
    Limits limits;
    limits.max_request_line_bytes = 64;
    limits.max_head_bytes = 128;
    limits.max_header_count = 3;
    EXPECT_EQ(status_of("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits), 414);
    EXPECT_EQ(status_of("GET /" + std::string(100, 'a'), limits), 414);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'b') + "\r\n\r\n", limits), 431);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'b'), limits), 431);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
}

TEST(RequestParser, ChunkedAndLengthBodies) {
    RequestHead head;
    std::vector<Header> headers;
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", head, headers).status,
              ParseStatus::complete);
    EXPECT_TRUE(head.chunked);
    EXPECT_TRUE(head.has_body());
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n", head, headers).status,
              ParseStatus::complete);
    EXPECT_EQ(head.content_length, 12u);
    EXPECT_TRUE(head.expect_continue);
}

// line_end finds the end of a line with two memchr scans; it must decide every input exactly as
// the byte-by-byte scan it replaced: the index of the CR of the first CRLF, "need more" (npos,
// not bad) when no CR or a final CR is seen, and bad on a LF before any CR or a CR not
// followed by LF. Checked on every string of up to 7 characters over {a, CR, LF}, at every start.
TEST(RequestParser, LineEndMatchesAByteByByteScan) {
    const auto reference = [](std::string_view text, std::size_t pos, bool& bad) -> std::size_t {
        for (std::size_t i = pos; i < text.size(); ++i) {
            if (text[i] == '\n') {
                bad = true;
                return std::string_view::npos;
            }
            if (text[i] == '\r') {
                if (i + 1 >= text.size()) return std::string_view::npos;
                if (text[i + 1] != '\n') bad = true;
                return bad ? std::string_view::npos : i;
            }
        }
        return std::string_view::npos;
    };
    const char alphabet[] = {'a', '\r', '\n'};
    int checked = 0;
    for (std::size_t length = 0; length <= 7; ++length) {
        std::size_t combinations = 1;
        for (std::size_t i = 0; i < length; ++i) combinations *= 3;
        for (std::size_t code = 0; code < combinations; ++code) {
            std::string text;
            for (std::size_t i = 0, rest = code; i < length; ++i, rest /= 3) text += alphabet[rest % 3];
            for (std::size_t pos = 0; pos <= length + 1; ++pos) {
                bool bad = false;
                bool expected_bad = false;
                const auto got = line_end(text, pos, bad);
                const auto expected = reference(text, pos, expected_bad);
                ASSERT_EQ(got, expected) << "text " << testing::PrintToString(text) << " at " << pos;
                ASSERT_EQ(bad, expected_bad) << "text " << testing::PrintToString(text) << " at " << pos;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 3000);
}

// Token and field-value characters come from tables now; every byte value is classified as the
// RFC says.
TEST(RequestParser, CharacterTablesFollowTheRfc) {
    for (int c = 0; c < 256; ++c) {
        const auto ch = static_cast<char>(c);
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool token = alnum || std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
        EXPECT_EQ(is_token_char(ch), token) << c;
        EXPECT_EQ(is_token(std::string_view(&ch, 1)), token) << c;
        const bool field = c == '\t' || (c >= 0x20 && c != 0x7f);
        EXPECT_EQ(is_field_value(std::string_view(&ch, 1)), field) << c;
    }
    EXPECT_FALSE(is_token(""));
    EXPECT_TRUE(is_field_value(""));
}

}  // namespace
}  // namespace udn::cache::http
