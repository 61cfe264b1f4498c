#include "probe/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace udn::probe::net {

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

int Fd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

namespace {

int family_of(udn::net::IpAddress::Family family) {
    return family == udn::net::IpAddress::Family::v4 ? AF_INET : AF_INET6;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd item{fd, events, 0};
        const int ready = ::poll(&item, 1, remaining_ms(deadline));
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return false;
    }
}

}  // namespace

UdpSocket UdpSocket::bind(const udn::net::Endpoint& local) {
    Fd fd(::socket(family_of(local.address.family()), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) throw std::runtime_error("cannot create a UDP socket: " + std::string(std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage address{};
    const auto length = local.address.to_sockaddr(local.port, address);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        throw std::runtime_error("cannot bind UDP " + local.to_string() + ": " + std::strerror(errno) +
                                 " — is the address configured on this host and the port free?");
    }
    return UdpSocket(std::move(fd));
}

UdpSocket UdpSocket::open(udn::net::IpAddress::Family family) {
    Fd fd(::socket(family_of(family), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) throw std::runtime_error("cannot create a UDP socket: " + std::string(std::strerror(errno)));
    return UdpSocket(std::move(fd));
}

bool UdpSocket::send_to(const udn::net::Endpoint& to, std::span<const std::uint8_t> data) const {
    sockaddr_storage address{};
    const auto length = to.address.to_sockaddr(to.port, address);
    return ::sendto(fd_.get(), data.data(), data.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&address),
                    length) == static_cast<ssize_t>(data.size());
}

std::optional<Datagram> UdpSocket::receive(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) const {
    if (!wait_for(fd_.get(), POLLIN, Clock::now() + timeout)) return std::nullopt;
    return try_receive(buffer);
}

std::optional<Datagram> UdpSocket::try_receive(std::span<std::uint8_t> buffer) const {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const auto size = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (size < 0) return std::nullopt;
    auto endpoint = endpoint_of(from);
    if (!endpoint) return std::nullopt;
    return Datagram{*endpoint, static_cast<std::size_t>(size)};
}

udn::net::Endpoint UdpSocket::local_endpoint() const {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &length);
    return endpoint_of(local).value_or(udn::net::Endpoint{});
}

std::optional<udn::net::Endpoint> endpoint_of(const sockaddr_storage& address) {
    auto ip = udn::net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&address));
    if (!ip) return std::nullopt;
    std::uint16_t port = 0;
    if (address.ss_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &address, sizeof in);
        port = ntohs(in.sin_port);
    } else {
        sockaddr_in6 in6{};
        std::memcpy(&in6, &address, sizeof in6);
        port = ntohs(in6.sin6_port);
    }
    return udn::net::Endpoint{*ip, port};
}

ConnectStart start_connect(const udn::net::Endpoint& to, int socket_type) {
    ConnectStart start;
    start.fd = Fd(::socket(family_of(to.address.family()), socket_type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!start.fd.valid()) {
        start.error = errno;
        return start;
    }
    sockaddr_storage address{};
    const auto length = to.address.to_sockaddr(to.port, address);
    if (::connect(start.fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        start.in_progress = errno == EINPROGRESS;
        start.error = start.in_progress ? 0 : errno;
    }
    return start;
}

int pending_error(int fd) {
    int error = 0;
    socklen_t error_length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) return errno;
    return error;
}

ConnectResult tcp_connect(const udn::net::Endpoint& to, Clock::time_point deadline) {
    ConnectResult result;
    auto start = start_connect(to, SOCK_STREAM);
    int error = start.error;
    if (start.fd.valid() && start.in_progress) {
        if (!wait_for(start.fd.get(), POLLOUT, deadline)) {
            result.timed_out = true;
            result.error = "timeout";
            return result;
        }
        error = pending_error(start.fd.get());
    }
    if (error != 0) {
        result.refused = error == ECONNREFUSED;
        result.error = std::strerror(error);
        return result;
    }
    result.fd = std::move(start.fd);
    return result;
}

}  // namespace udn::probe::net
