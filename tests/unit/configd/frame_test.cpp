// The wire format: round trips, and every malformed input is an error value, never a crash.
#include <gtest/gtest.h>

#include "configd/transport/messages.hpp"

namespace udn::configd::transport {
namespace {

TEST(FrameTest, RoundTripsJsonAndBlob) {
    const Frame frame{MessageType::prepare, {{"node", "eu-ns1"}}, std::string("\0binary\xff", 8)};
    const auto bytes = encode_frame(frame);
    auto decoded = decode_frame(as_bytes(bytes));
    ASSERT_TRUE(std::holds_alternative<Frame>(decoded)) << std::get<DecodeError>(decoded).reason;
    EXPECT_EQ(std::get<Frame>(decoded).type, MessageType::prepare);
    EXPECT_EQ(std::get<Frame>(decoded).json["node"], "eu-ns1");
    EXPECT_EQ(std::get<Frame>(decoded).blob, frame.blob);
}

TEST(FrameTest, ChecksumCatchesAFlippedByte) {
    auto bytes = encode_frame(Frame{MessageType::status, {}, "payload"});
    bytes[bytes.size() - 2] ^= 0x20;
    auto decoded = decode_frame(as_bytes(bytes));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
    EXPECT_NE(std::get<DecodeError>(decoded).reason.find("checksum"), std::string::npos);
}

TEST(FrameTest, CrcMatchesZlib) {
    EXPECT_EQ(crc32(as_bytes("123456789")), 0xCBF43926u);
}

TEST(FrameTest, RejectsBadHeaders) {
    const auto good = encode_frame(Frame{MessageType::status, {}, {}});
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_frame(as_bytes(good.substr(0, cut)))));
    }
    auto bad_magic = good;
    bad_magic[0] = 'X';
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_frame(as_bytes(bad_magic))));
    auto bad_type = good;
    bad_type[5] = 99;
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_frame(as_bytes(bad_type))));
    auto huge = good;
    huge[8] = '\x7f';
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_header(as_bytes(huge))));
}

TEST(MessagesTest, PrepareRoundTripsWithRoute) {
    PrepareRequest request;
    request.node = "a";
    request.config = SignedConfig{7, "ops", std::string(32, 'a'), "version = 7\n", std::string(64, 's')};
    request.children = {RouteNode{"b", "127.0.0.2", 5304, {RouteNode{"c", "127.0.0.3", 5304, {}}}}};
    const auto decoded = decode_prepare(encode(request));
    ASSERT_TRUE(std::holds_alternative<PrepareRequest>(decoded));
    const auto& back = std::get<PrepareRequest>(decoded);
    EXPECT_EQ(back.config.version, 7u);
    EXPECT_EQ(back.config.signature, request.config.signature);
    EXPECT_EQ(back.config.file_bytes, request.config.file_bytes);
    EXPECT_EQ(route_names(back.children), (std::vector<std::string>{"b", "c"}));
}

TEST(MessagesTest, WrongFieldTypesAreErrorsNotExceptions) {
    Frame frame{MessageType::prepare, {{"node", 5}, {"version", "x"}}, {}};
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_prepare(frame)));
    Frame route{MessageType::commit, {{"node", "a"}, {"push_id", "p"}, {"children", {{{"name", "b"}, {"port", 0}}}}}, {}};
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_phase(route)));
    Frame error{MessageType::error, {{"reason", 42}}, {}};
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_node_result(error)));
}

TEST(MessagesTest, RouteDepthIsBounded) {
    nlohmann::json deep = nlohmann::json::array();
    for (int i = 0; i < 100; ++i) {
        deep = nlohmann::json::array({{{"name", "n"}, {"address", "127.0.0.1"}, {"port", 1}, {"children", deep}}});
    }
    EXPECT_TRUE(std::holds_alternative<DecodeError>(route_from_json(deep)));
}

}  // namespace
}  // namespace udn::configd::transport
