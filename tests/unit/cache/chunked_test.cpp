// The chunked decoder decodes split input and refuses malformed framing.
#include <gtest/gtest.h>

#include <string>

#include "cache/http/chunked.hpp"

namespace udn::cache::http {
namespace {

// Feeds `input` in pieces of `step` bytes; returns the decoded body or "ERROR".
std::string decode(const std::string& input, std::size_t step) {
    ChunkedDecoder decoder;
    std::string out;
    std::string pending;
    for (std::size_t i = 0; i < input.size(); i += step) {
        pending += input.substr(i, step);
        while (!pending.empty()) {
            const auto result = decoder.next(std::span<const char>(pending.data(), pending.size()));
            if (result.error) return "ERROR";
            out.append(result.data.data(), result.data.size());
            pending.erase(0, result.consumed);
            if (result.done) return out + (pending.empty() ? "" : "|rest=" + pending);
            if (result.consumed == 0) break;
        }
    }
    return decoder.done() ? out : "INCOMPLETE:" + out;
}

TEST(Chunked, DecodesInAnySplit) {
    const std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    for (std::size_t step = 1; step <= body.size(); ++step) EXPECT_EQ(decode(body, step), "hello world") << step;
}

TEST(Chunked, LeavesFollowingBytes) {
    EXPECT_EQ(decode("1\r\na\r\n0\r\n\r\nGET", 100), "a|rest=GET");
}

TEST(Chunked, RefusesMalformed) {
    EXPECT_EQ(decode("x\r\n", 100), "ERROR");
    EXPECT_EQ(decode("5\nhello\r\n0\r\n\r\n", 100), "ERROR");
    EXPECT_EQ(decode("5\r\nhelloX\r\n0\r\n\r\n", 100), "ERROR");
    EXPECT_EQ(decode("1000000000000000\r\n", 100), "ERROR");
    EXPECT_EQ(decode("0\r\nBad\nTrailer\r\n\r\n", 100), "ERROR");
    EXPECT_EQ(decode("5\r\nhel", 100), "INCOMPLETE:hel");
}

}  // namespace
}  // namespace udn::cache::http
