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
    EXPECT_EQ(crc32(as_bytes("56789"), crc32(as_bytes("1234"))), 0xCBF43926u);  // continues a running CRC
}

TEST(FrameTest, HeadThenBlobIsTheWholeFrame) {
    const Frame frame{MessageType::prepare, {{"node", "a"}}, std::string(100000, 'x')};
    const auto head = encode_frame_head(frame);
    EXPECT_EQ(head + frame.blob, encode_frame(frame));
    EXPECT_LT(head.size(), 100u);
}

TEST(FrameTest, DecodingFromAnOwnedPayloadMatchesTheCopyingDecoder) {
    const Frame frame{MessageType::fetch_reply, {{"found", true}}, std::string("file\0bytes", 10)};
    const auto bytes = encode_frame(frame);
    const auto header = std::get<Header>(decode_header(as_bytes(bytes)));
    auto payload = bytes.substr(header_size_bytes);
    auto copied = decode_payload(header, as_bytes(payload));
    auto owned = decode_payload(header, std::move(payload));
    ASSERT_TRUE(std::holds_alternative<Frame>(owned));
    EXPECT_EQ(std::get<Frame>(owned).blob, frame.blob);
    EXPECT_EQ(std::get<Frame>(owned).json, std::get<Frame>(copied).json);
    auto corrupted = bytes.substr(header_size_bytes);
    corrupted.back() ^= 1;
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_payload(header, std::move(corrupted))));
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

TEST(MessagesTest, ForwardedPrepareNamesTheChildAndKeepsTheSignedFile) {
    PrepareRequest request;
    request.node = "a";
    request.config = SignedConfig{7, "ops", std::string(32, 'a'), "version = 7\n", std::string(64, 's')};
    const RouteNode c{"c", "127.0.0.3", 5304, {}};
    const RouteNode b{"b", "127.0.0.2", 5304, {c}};
    request.children = {b};
    const auto forwarded = forward_to(encode(request), b, 4700);
    EXPECT_EQ(forwarded.json["timeout_ms"], 4700);
    const auto decoded = decode_prepare(forwarded);
    ASSERT_TRUE(std::holds_alternative<PrepareRequest>(decoded));
    const auto& back = std::get<PrepareRequest>(decoded);
    EXPECT_EQ(back.node, "b");
    EXPECT_EQ(route_names(back.children), (std::vector<std::string>{"c"}));
    EXPECT_EQ(back.config.version, 7u);
    EXPECT_EQ(back.config.push_id, request.config.push_id);
    EXPECT_EQ(back.config.signature, request.config.signature);
    EXPECT_EQ(back.config.file_bytes, request.config.file_bytes);
}

TEST(MessagesTest, ForwardedCommitNamesTheChild) {
    const RouteNode b{"b", "127.0.0.2", 5304, {}};
    const auto forwarded = forward_to(encode(MessageType::commit, PhaseRequest{"a", std::string(32, 'f'), {b}}), b, 900);
    EXPECT_EQ(forwarded.type, MessageType::commit);
    const auto decoded = decode_phase(forwarded);
    ASSERT_TRUE(std::holds_alternative<PhaseRequest>(decoded));
    EXPECT_EQ(std::get<PhaseRequest>(decoded).node, "b");
    EXPECT_EQ(std::get<PhaseRequest>(decoded).push_id, std::string(32, 'f'));
    EXPECT_TRUE(std::get<PhaseRequest>(decoded).children.empty());
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
