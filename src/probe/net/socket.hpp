// Small RAII sockets for the probe: a UDP socket (bind, send, receive with a timeout or without
// waiting), a blocking TCP connect with a deadline, and the first step of a non-blocking connect
// (service checks and latency measurements on the reactor). Errors are values, never
// exceptions, except at bind time on the control path.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/net/ip_address.hpp"

namespace udn::probe::net {

using Clock = std::chrono::steady_clock;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release();

private:
    int fd_ = -1;
};

struct Datagram {
    udn::net::Endpoint from;
    std::size_t size_bytes = 0;
};

class UdpSocket {
public:
    // Throws std::runtime_error naming the endpoint when the socket cannot be bound (control path).
    static UdpSocket bind(const udn::net::Endpoint& local);
    // An unbound socket of the given family, for sending (the kernel picks the source).
    static UdpSocket open(udn::net::IpAddress::Family family);

    bool send_to(const udn::net::Endpoint& to, std::span<const std::uint8_t> data) const;
    // Waits up to timeout for one datagram; nullopt on timeout or error.
    std::optional<Datagram> receive(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout) const;
    // One datagram if one is queued, without waiting (for sockets watched by a Reactor).
    std::optional<Datagram> try_receive(std::span<std::uint8_t> buffer) const;
    udn::net::Endpoint local_endpoint() const;
    int fd() const { return fd_.get(); }

private:
    explicit UdpSocket(Fd fd) : fd_(std::move(fd)) {}
    Fd fd_;
};

// The address and port of a sockaddr_in/sockaddr_in6 (recvfrom, getsockname); nullopt for
// any other family.
std::optional<udn::net::Endpoint> endpoint_of(const sockaddr_storage& address);

// Milliseconds left until deadline, at least 0.
int remaining_ms(Clock::time_point deadline);

// A connected, non-blocking TCP socket, or an error text ("connection refused", "timeout").
struct ConnectResult {
    Fd fd;
    std::string error;  // empty on success
    bool refused = false;  // the peer answered with a reset: it is reachable
    bool timed_out = false;
};
ConnectResult tcp_connect(const udn::net::Endpoint& to, Clock::time_point deadline);

// The first step of a non-blocking connect (SOCK_STREAM or SOCK_DGRAM): a socket, and either
// in_progress (wait for it to become writable, then read pending_error) or the connect's errno
// (0 when it completed at once). fd is invalid, with error set, when no socket could be made.
struct ConnectStart {
    Fd fd;
    int error = 0;
    bool in_progress = false;
};
ConnectStart start_connect(const udn::net::Endpoint& to, int socket_type);
// The socket's pending error (SO_ERROR): how a non-blocking connect ended, 0 when connected.
int pending_error(int fd);

}  // namespace udn::probe::net
