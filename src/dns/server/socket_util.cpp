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
    // No path MTU learnt from ICMP "fragmentation needed" or "packet too big": anyone can spoof
    // one to make a server fragment its answers, and the fragments are then open to forgery.
    // Our answers stay within 1232 bytes, which fits every IPv6 path (1280) and practically
    // every IPv4 one. IPv4 answers carry DF (RFC 9715 R2; IP_PMTUDISC_PROBE: DF set, path MTU
    // ignored), so a router on a path too narrow drops them rather than fragmenting, and the
    // kernel gives them IP ID 0: without DF (IP_PMTUDISC_OMIT, what gdnsd and PowerDNS set) it
    // hashes an ID for every datagram (__ip_select_ident, 1–2 % of the CPU per answer in our
    // profiles). IPv6 has no DF bit and no per-datagram ID; OMIT there also ignores spoofed
    // "packet too big".
    if (endpoint.address.is_v4()) {
        const int probe = IP_PMTUDISC_PROBE;
        ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    } else {
        const int omit = IPV6_PMTUDISC_OMIT;
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
