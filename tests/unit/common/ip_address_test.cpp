#include "common/net/ip_address.hpp"

#include <gtest/gtest.h>

namespace udn::net {
namespace {

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
    EXPECT_EQ(IpAddress::parse("127.0.1.2")->to_string(), "127.0.1.2");
    EXPECT_EQ(IpAddress::parse("2001:db8::1")->to_string(), "2001:db8::1");
    EXPECT_FALSE(IpAddress::parse("127.0.1"));
    EXPECT_FALSE(IpAddress::parse("example.com"));
    EXPECT_FALSE(IpAddress::parse(""));
}

TEST(Cidr, ClearsHostBitsAndMatches) {
    auto cidr = Cidr::parse("10.1.2.3/8");
    ASSERT_TRUE(cidr);
    EXPECT_EQ(cidr->to_string(), "10.0.0.0/8");
    EXPECT_TRUE(cidr->contains(*IpAddress::parse("10.200.0.1")));
    EXPECT_FALSE(cidr->contains(*IpAddress::parse("11.0.0.1")));
    EXPECT_FALSE(cidr->contains(*IpAddress::parse("::1")));
    EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
    EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
    EXPECT_EQ(Cidr::parse("2001:db8::ff/32")->to_string(), "2001:db8::/32");
}

TEST(Endpoint, ParsesV4AndBracketedV6) {
    EXPECT_EQ(Endpoint::parse("127.0.0.1:53")->port, 53);
    EXPECT_EQ(Endpoint::parse("[::1]:8080")->to_string(), "[::1]:8080");
    EXPECT_FALSE(Endpoint::parse("127.0.0.1:70000"));
    EXPECT_FALSE(Endpoint::parse("127.0.0.1"));
}

}  // namespace
}  // namespace udn::net
