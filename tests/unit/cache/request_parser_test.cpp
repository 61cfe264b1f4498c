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

}  // namespace
}  // namespace udn::cache::http
