#include "common/report/codec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace udn::report {
namespace {

Key test_key(std::uint8_t fill = 0x5a) {
    std::vector<std::uint8_t> bytes(32, fill);
    return *Key::from_bytes(bytes);
}

// Re-signs a hand-edited datagram so that the field checks behind the MAC are reached.
std::vector<std::uint8_t> resign_for_test(std::vector<std::uint8_t> unsigned_part, const Key& key) {
    const auto mac = key.mac(unsigned_part);
    unsigned_part.insert(unsigned_part.end(), mac.begin(), mac.end());
    return unsigned_part;
}

Message service_report_message() {
    ServiceReport report;
    report.target = TargetKind::origin;
    report.customer = "acme";
    report.name = "acme-mirror-1";
    report.check = CheckKind::https;
    report.state = ServiceState::up;
    report.result = CheckResult::ok;
    report.code = 200;
    report.timing = {120, 450, 1900, 2500, 2700};
    report.loss_permille = 150;
    report.loss_checks = 20;
    report.has_load = true;
    report.load = {350, 610, 12, 880, 4242};
    report.detail = "200 OK";
    return Message{{"eu-ns1", 1700000000000000ull, 1700000000123ull}, report};
}

TEST(ReportKey, ParsesHexOfAtLeast32Bytes) {
    const std::string hex64(64, 'a');
    EXPECT_TRUE(Key::from_hex(hex64));
    EXPECT_TRUE(Key::from_hex("5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"));
    EXPECT_FALSE(Key::from_hex(std::string(62, 'a'))) << "31 bytes is too short";
    EXPECT_FALSE(Key::from_hex(std::string(65, 'a'))) << "odd digit count";
    EXPECT_FALSE(Key::from_hex(std::string(63, 'a') + "g"));
    EXPECT_FALSE(Key::from_hex(""));
}

TEST(ReportCodec, ServiceReportRoundTrips) {
    const auto key = test_key();
    const auto message = service_report_message();
    auto datagram = encode(message, key);
    ASSERT_TRUE(datagram);
    auto decoded = decode(datagram.value(), key);
    ASSERT_TRUE(decoded) << to_string(decoded.error());
    EXPECT_EQ(decoded.value(), message);
    EXPECT_EQ(decoded.value().type(), MessageType::service_report);
}

TEST(ReportCodec, ServiceReportWithoutLoadRoundTrips) {
    const auto key = test_key();
    auto message = service_report_message();
    auto& report = std::get<ServiceReport>(message.body);
    report.has_load = false;
    report.load = {};
    report.target = TargetKind::server;
    report.customer.clear();
    report.state = ServiceState::down;
    report.result = CheckResult::content_mismatch;
    auto decoded = decode(encode(message, key).value(), key);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), message);
}

TEST(ReportCodec, LatencyRequestCarriesBothFamilies) {
    const auto key = test_key();
    LatencyRequest request;
    request.clients = {*net::IpAddress::parse("192.0.2.1"), *net::IpAddress::parse("2001:db8::53"),
                       *net::IpAddress::parse("198.51.100.7")};
    const Message message{{"us-ns1", 7, 1000}, request};
    auto decoded = decode(encode(message, key).value(), key);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), message);
}

TEST(ReportCodec, LatencyResultRoundTrips) {
    const auto key = test_key();
    LatencyResult result;
    result.pop = "eu-west";
    result.measurements = {
        {*net::IpAddress::parse("192.0.2.1"), true, LatencyMethod::dns_query, 15300, 999, 4, 250},
        {*net::IpAddress::parse("2001:db8::1"), false, LatencyMethod::none, 0, 998, 4, 1000},
        {*net::IpAddress::parse("192.0.2.9"), true, LatencyMethod::icmp_echo, 80, 997, 5, 0},
    };
    const Message message{{"eu-ns1", 9, 1000}, result};
    auto decoded = decode(encode(message, key).value(), key);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), message);
}

TEST(ReportCodec, LoadQueryAndAnswerRoundTrip) {
    const auto key = test_key();
    const Message query{{"eu-ns1", 10, 1000}, LoadQuery{}};
    const Message answer{{"127.0.9.1", 11, 1001}, LoadAnswer{10, {1000, 1, 2, 3, 4}}};
    EXPECT_EQ(decode(encode(query, key).value(), key).value(), query);
    EXPECT_EQ(decode(encode(answer, key).value(), key).value(), answer);
}

TEST(ReportCodec, RejectsAnotherKeyAndAnyFlippedBit) {
    const auto key = test_key();
    auto datagram = encode(service_report_message(), key).value();
    EXPECT_EQ(decode(datagram, test_key(0x11)).error(), Error::bad_mac);
    // Flipping any bit after the version byte must break the MAC.
    for (std::size_t i = 5; i < datagram.size(); ++i) {
        auto corrupt = datagram;
        corrupt[i] ^= 0x01;
        auto decoded = decode(corrupt, key);
        ASSERT_FALSE(decoded) << "byte " << i;
        EXPECT_EQ(decoded.error(), Error::bad_mac) << "byte " << i;
    }
}

TEST(ReportCodec, RejectsShortForeignAndFutureVersionDatagrams) {
    const auto key = test_key();
    auto datagram = encode(service_report_message(), key).value();
    EXPECT_EQ(decode(std::span(datagram).first(20), key).error(), Error::too_short);
    EXPECT_EQ(decode({}, key).error(), Error::too_short);
    auto foreign = datagram;
    foreign[0] = 'X';
    EXPECT_EQ(decode(foreign, key).error(), Error::bad_magic);
    auto future = datagram;
    future[4] = newest_protocol_version + 1;
    EXPECT_EQ(decode(future, key).error(), Error::bad_version);
    auto zero = datagram;
    zero[4] = 0;
    EXPECT_EQ(decode(zero, key).error(), Error::bad_version);
    EXPECT_EQ(encode_as(newest_protocol_version + 1, service_report_message().header, service_report_message().body, key)
                  .error(),
              Error::bad_version);
}

// Only the bodies version 2 changed go out as version 2, so old load agents and latency probes
// keep understanding what a new sender asks them.
TEST(ReportCodec, OnlyChangedBodiesAreSentAsVersion2) {
    const auto key = test_key();
    EXPECT_EQ(encode(service_report_message(), key).value()[4], 2);
    EXPECT_EQ(encode(Message{{"eu-ns1", 1, 1}, LatencyResult{"eu-west", {}}}, key).value()[4], 2);
    EXPECT_EQ(encode(Message{{"eu-ns1", 1, 1}, LatencyRequest{}}, key).value()[4], 1);
    EXPECT_EQ(encode(Message{{"eu-ns1", 1, 1}, LoadQuery{}}, key).value()[4], 1);
    EXPECT_EQ(encode(Message{{"eu-ns1", 1, 1}, LoadAnswer{}}, key).value()[4], 1);
}

// A version-1 sender (not yet upgraded) still gets through: its reports decode with the loss
// fields zero, which means "not measured" (loss_checks / attempts 0), never "no loss".
TEST(ReportCodec, Version1DatagramsDecodeWithLossNotMeasured) {
    const auto key = test_key();
    const auto message = service_report_message();
    const auto old = encode_as(1, message.header, message.body, key);
    ASSERT_TRUE(old);
    EXPECT_EQ(old.value().size() + 4, encode(message, key).value().size()) << "v2 adds two u16";
    auto decoded = decode(old.value(), key);
    ASSERT_TRUE(decoded) << to_string(decoded.error());
    auto expected = message;
    std::get<ServiceReport>(expected.body).loss_permille = 0;
    std::get<ServiceReport>(expected.body).loss_checks = 0;
    EXPECT_EQ(decoded.value(), expected);

    LatencyResult result{"eu-west", {{*net::IpAddress::parse("192.0.2.1"), true, LatencyMethod::dns_query, 900, 5, 4, 250}}};
    auto old_result = decode(encode_as(1, {"eu-ns1", 2, 2}, result, key).value(), key);
    ASSERT_TRUE(old_result);
    const auto& measurement = std::get<LatencyResult>(old_result.value().body).measurements.at(0);
    EXPECT_EQ(measurement.rtt_us, 900u);
    EXPECT_EQ(measurement.attempts, 0u);
    EXPECT_EQ(measurement.loss_permille, 0u);

    // A version-1 body labelled version 2 (or the reverse) is malformed, not misread.
    auto relabelled = std::vector<std::uint8_t>(old.value().begin(), old.value().end() - mac_bytes);
    relabelled[4] = 2;
    EXPECT_FALSE(decode(resign_for_test(relabelled, key), key));
}

TEST(ReportCodec, LossAbove1000PermilleIsABadValue) {
    const auto key = test_key();
    auto message = service_report_message();
    std::get<ServiceReport>(message.body).loss_permille = 1001;
    EXPECT_EQ(encode(message, key).error(), Error::too_large);
    std::get<ServiceReport>(message.body).loss_permille = 1000;
    auto datagram = encode(message, key).value();
    auto body = std::vector<std::uint8_t>(datagram.begin(), datagram.end() - mac_bytes);
    // loss_permille follows the five timing fields: find it as the bytes 0x03 0xE8 (1000).
    const std::size_t loss_offset = 7 + 6 + 16 + 1 + 5 + 14 + 3 + 2 + 20;
    ASSERT_EQ(body.at(loss_offset), 0x03);
    ASSERT_EQ(body.at(loss_offset + 1), 0xE8);
    body[loss_offset + 1] = 0xE9;
    EXPECT_EQ(decode(resign_for_test(body, key), key).error(), Error::bad_value);
}

std::vector<std::uint8_t> resign(std::vector<std::uint8_t> unsigned_part, const Key& key) {
    return resign_for_test(std::move(unsigned_part), key);
}

TEST(ReportCodec, AuthenticButMalformedFieldsAreErrorsNotCrashes) {
    const auto key = test_key();
    auto datagram = encode(service_report_message(), key).value();
    auto body = std::vector<std::uint8_t>(datagram.begin(), datagram.end() - mac_bytes);

    auto truncated = body;
    truncated.resize(truncated.size() - 3);
    EXPECT_EQ(decode(resign(truncated, key), key).error(), Error::truncated);

    auto trailing = body;
    trailing.push_back(0);
    EXPECT_EQ(decode(resign(trailing, key), key).error(), Error::trailing_bytes);

    auto unknown_type = body;
    unknown_type[5] = 99;
    EXPECT_EQ(decode(resign(unknown_type, key), key).error(), Error::unknown_type);

    // sender "eu-ns1" (6 bytes) ends at 7 + 6; then sequence and timestamp; then the target kind.
    const std::size_t target_offset = 7 + 6 + 16;
    auto bad_target = body;
    bad_target[target_offset] = 7;
    EXPECT_EQ(decode(resign(bad_target, key), key).error(), Error::bad_value);

    auto empty_sender = body;
    empty_sender[6] = 0;
    EXPECT_FALSE(decode(resign(empty_sender, key), key));
}

TEST(ReportCodec, LatencyRequestWithTooManyAddressesIsRejected) {
    const auto key = test_key();
    LatencyRequest request;
    request.clients.assign(max_addresses_per_datagram + 1, *net::IpAddress::parse("192.0.2.1"));
    EXPECT_EQ(encode(Message{{"eu-ns1", 1, 1}, request}, key).error(), Error::too_large);
    request.clients.resize(max_addresses_per_datagram);
    EXPECT_TRUE(encode(Message{{"eu-ns1", 1, 1}, request}, key));
}

TEST(ReportCodec, LongNamesAreRejectedAtEncode) {
    const auto key = test_key();
    auto message = service_report_message();
    std::get<ServiceReport>(message.body).detail = std::string(256, 'x');
    EXPECT_EQ(encode(message, key).error(), Error::too_large);
    message = service_report_message();
    message.header.sender.clear();
    EXPECT_EQ(encode(message, key).error(), Error::too_large);
}

}  // namespace
}  // namespace udn::report

namespace udn::report {
namespace {

// The fuzz seeds are written by tests/system/probe_wire.py, an independent implementation of
// docs/protocols.md: the C++ decoder must read every one of them.
TEST(ReportCodec, DecodesTheSeedsOfThePythonImplementation) {
    const auto key = *Key::from_bytes(std::vector<std::uint8_t>(32, 0x42));
    const std::filesystem::path seeds = std::filesystem::path(UDN_SOURCE_DIR) / "fuzz/seeds/common_report_fuzz";
    std::size_t decoded_count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
        std::ifstream file(entry.path(), std::ios::binary);
        std::vector<std::uint8_t> datagram((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        const auto mac = key.mac(datagram);
        datagram.insert(datagram.end(), mac.begin(), mac.end());
        auto message = decode(datagram, key);
        ASSERT_TRUE(message) << entry.path() << ": " << to_string(message.error());
        EXPECT_EQ(encode_as(datagram[4], message.value().header, message.value().body, key).value(), datagram)
            << entry.path();
        if (entry.path().filename() == "service_report") {
            const auto& report = std::get<ServiceReport>(message.value().body);
            EXPECT_EQ(report.name, "acme-mirror-1");
            EXPECT_EQ(report.code, 200);
            EXPECT_EQ(report.load.connections, 4242u);
            EXPECT_EQ(report.detail, "200 OK");
            EXPECT_EQ(report.loss_checks, 0u) << "a version-1 report: loss not measured";
        }
        if (entry.path().filename() == "service_report_v2") {
            const auto& report = std::get<ServiceReport>(message.value().body);
            EXPECT_EQ(report.loss_permille, 250u);
            EXPECT_EQ(report.loss_checks, 20u);
            EXPECT_EQ(report.detail, "200 OK");
        }
        if (entry.path().filename() == "latency_result_v2") {
            const auto& result = std::get<LatencyResult>(message.value().body);
            ASSERT_EQ(result.measurements.size(), 3u);
            EXPECT_EQ(result.measurements[0].attempts, 4u);
            EXPECT_EQ(result.measurements[0].loss_permille, 500u);
            EXPECT_EQ(result.measurements[1].loss_permille, 1000u);
        }
        ++decoded_count;
    }
    EXPECT_GE(decoded_count, 8u);
}

}  // namespace
}  // namespace udn::report
