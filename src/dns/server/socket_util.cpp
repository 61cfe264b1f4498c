#include "dns/server/socket_util.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace udn::dns::server {
namespace {

int open_bound(const net::Endpoint& endpoint, int type, bool reuse_port) {
    sockaddr_storage address{};
    const auto length = endpoint.address.to_sockaddr(endpoint.port, address);
    const int fd = ::socket(address.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(fmt::format("socket for {}: {}", endpoint.to_string(), std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (address.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        const auto error = errno;
        ::close(fd);
        throw std::runtime_error(fmt::format("cannot bind {} ({}): {} — is another process using it, or is the "
                                             "address not configured on this machine?",
                                             endpoint.to_string(), type == SOCK_DGRAM ? "udp" : "tcp",
                                             std::strerror(error)));
    }
    return fd;
}

}  // namespace

int bind_udp(const net::Endpoint& endpoint, bool reuse_port) {
    const int fd = open_bound(endpoint, SOCK_DGRAM, reuse_port);
    // What gdnsd, Knot and BIND do for UDP answers: no DF bit and no path MTU learnt from
    // ICMP "fragmentation needed", which anyone can spoof to make a server fragment its answers
    // (the fragments are then open to forgery). Our answers stay within 1232 bytes, which fits
    // every IPv6 path (1280) and practically every IPv4 one, so the kernel never fragments.
    // Not free: without DF an IPv4 answer gets a hashed IP ID (__ip_select_ident, ~2 % of the
    // kernel's time per answer in gdnsd's profile as in ours) instead of 0.
    const int omit = endpoint.address.is_v4() ? IP_PMTUDISC_OMIT : IPV6_PMTUDISC_OMIT;
    if (endpoint.address.is_v4()) {
        ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof omit);
    } else {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof omit);
    }
    const int buffer_bytes = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
    return fd;
}

int bind_tcp_listener(const net::Endpoint& endpoint) {
    const int fd = open_bound(endpoint, SOCK_STREAM, true);
    if (::listen(fd, 1024) != 0) {
        const auto error = errno;
        ::close(fd);
        throw std::runtime_error(fmt::format("listen on {}: {}", endpoint.to_string(), std::strerror(error)));
    }
    set_nonblocking(fd);
    return fd;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

}  // namespace udn::dns::server
