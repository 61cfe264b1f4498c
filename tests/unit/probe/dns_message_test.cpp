#include "probe/service/dns_message.hpp"

#include <gtest/gtest.h>

namespace udn::probe::service {
namespace {

TEST(DnsMessage, BuildsAQuery) {
    const auto query = build_dns_query(0x1234, "www.acme.example.", dns_type_a);
    ASSERT_TRUE(query);
    const std::vector<std::uint8_t> expected{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                             3, 'w', 'w', 'w', 4, 'a', 'c', 'm', 'e', 7, 'e', 'x', 'a', 'm', 'p',
                                             'l', 'e', 0, 0, 1, 0, 1};
    EXPECT_EQ(*query, expected);
    EXPECT_TRUE(build_dns_query(1, "", dns_type_ns)) << "the root";
    EXPECT_FALSE(build_dns_query(1, "a..b", dns_type_a));
    EXPECT_FALSE(build_dns_query(1, std::string(64, 'a') + ".example", dns_type_a));
}

TEST(DnsMessage, ReadsAddressesOfACompressedResponse) {
    auto response = *build_dns_query(0xBEEF, "www.acme.example", dns_type_a);
    response[2] = 0x81;
    response[3] = 0x80;
    response[7] = 2;  // two answers
    const std::vector<std::uint8_t> answers{
        0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 7,                          // A 192.0.2.7
        0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,  // AAAA
        0, 0, 0, 0, 0, 0, 0, 1};
    response.insert(response.end(), answers.begin(), answers.end());
    const auto parsed = parse_dns_response(response);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->id, 0xBEEF);
    EXPECT_EQ(parsed->rcode, 0);
    ASSERT_EQ(parsed->addresses.size(), 2u);
    EXPECT_EQ(parsed->addresses[0].to_string(), "192.0.2.7");
    EXPECT_EQ(parsed->addresses[1].to_string(), "2001:db8::1");

    for (std::size_t size = 0; size < response.size(); ++size) {
        EXPECT_FALSE(parse_dns_response(std::span(response).first(size))) << "truncated at " << size;
    }
    auto query = *build_dns_query(1, "x", dns_type_a);
    EXPECT_FALSE(parse_dns_response(query)) << "QR not set";
}

}  // namespace
}  // namespace udn::probe::service
