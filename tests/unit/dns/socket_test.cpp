// The DNS role's UDP sockets ignore path-MTU hints from ICMP, which anyone can spoof: IPv4
// answers leave with DF set (IP_PMTUDISC_PROBE, RFC 9715), IPv6 ones without ever being
// fragmented (IPV6_PMTUDISC_OMIT). tests/system/test_dns_udp_wire.py checks the bits on the wire.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/server/socket_util.hpp"

namespace udn::dns::server {
namespace {

int socket_option(int fd, int level, int name) {
    int value = -1;
    socklen_t length = sizeof value;
    EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0);
    return value;
}

TEST(BindUdp, Ipv4AnswersSetDontFragmentAndIgnorePathMtu) {
    const auto endpoint = net::Endpoint::parse("127.0.0.1:0");
    ASSERT_TRUE(endpoint);
    const int fd = bind_udp(*endpoint, true);
    EXPECT_EQ(socket_option(fd, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_PROBE);
    EXPECT_EQ(socket_option(fd, SOL_SOCKET, SO_REUSEPORT), 1);
    ::close(fd);
}

TEST(BindUdp, Ipv6AnswersIgnorePathMtu) {
    const auto endpoint = net::Endpoint::parse("[::1]:0");
    ASSERT_TRUE(endpoint);
    int fd = -1;
    try {
        fd = bind_udp(*endpoint, false);
    } catch (const std::exception& error) {
        GTEST_SKIP() << "no IPv6 loopback here: " << error.what();
    }
    EXPECT_EQ(socket_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER), IPV6_PMTUDISC_OMIT);
    EXPECT_EQ(socket_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    ::close(fd);
}

}  // namespace
}  // namespace udn::dns::server
