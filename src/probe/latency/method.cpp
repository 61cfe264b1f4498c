#include "probe/latency/method.hpp"

#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <random>

#include "probe/net/socket.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::latency {
namespace {

using net::Clock;

std::uint32_t micros_since(Clock::time_point start) {
    return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

std::uint16_t random_u16() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint16_t>(generator());
}

int family_of(const udn::net::IpAddress& address) { return address.is_v4() ? AF_INET : AF_INET6; }

// A UDP or ICMP socket connected to the client, so the kernel filters replies by source and
// reports ICMP errors (port unreachable) as ECONNREFUSED right away.
net::Fd connected_socket(int type, int protocol, const udn::net::IpAddress& client, std::uint16_t port) {
    net::Fd fd(::socket(family_of(client), type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
    if (!fd.valid()) return fd;
    sockaddr_storage address{};
    const auto length = client.to_sockaddr(port, address);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) return net::Fd{};
    return fd;
}

// Waits for a datagram that `accept` likes; false on timeout or a socket error.
template <class Accept>
bool await_reply(int fd, Clock::time_point deadline, Accept accept) {
    std::array<std::uint8_t, 1500> buffer{};
    while (net::remaining_ms(deadline) > 0) {
        pollfd item{fd, POLLIN, 0};
        if (::poll(&item, 1, net::remaining_ms(deadline)) <= 0) return false;
        const auto size = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (size < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return false;
        }
        if (accept(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(size)))) return true;
    }
    return false;
}

class DnsQueryMethod : public Method {
public:
    explicit DnsQueryMethod(std::uint16_t port) : port_(port) {}
    report::LatencyMethod id() const override { return report::LatencyMethod::dns_query; }
    std::optional<std::uint32_t> measure(const udn::net::IpAddress& client, std::chrono::milliseconds timeout) override {
        const auto start = Clock::now();
        auto fd = connected_socket(SOCK_DGRAM, 0, client, port_);
        if (!fd.valid()) return std::nullopt;
        const auto query_id = random_u16();
        // Any answer to "NS of the root" (even REFUSED) is a round trip to the resolver.
        const auto query = service::build_dns_query(query_id, "", service::dns_type_ns);
        if (!query || ::send(fd.get(), query->data(), query->size(), 0) < 0) return std::nullopt;
        const bool answered = await_reply(fd.get(), start + timeout, [&](std::span<const std::uint8_t> reply) {
            const auto response = service::parse_dns_response(reply);
            return response && response->id == query_id;
        });
        if (!answered) return std::nullopt;
        return micros_since(start);
    }

private:
    std::uint16_t port_;
};

class TcpConnectMethod : public Method {
public:
    explicit TcpConnectMethod(std::uint16_t port) : port_(port) {}
    report::LatencyMethod id() const override { return report::LatencyMethod::tcp_connect; }
    std::optional<std::uint32_t> measure(const udn::net::IpAddress& client, std::chrono::milliseconds timeout) override {
        const auto start = Clock::now();
        const auto connected = net::tcp_connect({client, port_}, start + timeout);
        if (connected.fd.valid() || connected.refused) return micros_since(start);
        return std::nullopt;
    }

private:
    std::uint16_t port_;
};

// ICMP echo over an unprivileged ping socket (the kernel matches replies by id), else a raw
// socket (we match id and sequence ourselves, skipping the IPv4 header).
class IcmpEchoMethod : public Method {
public:
    report::LatencyMethod id() const override { return report::LatencyMethod::icmp_echo; }
    std::optional<std::uint32_t> measure(const udn::net::IpAddress& client, std::chrono::milliseconds timeout) override {
        const auto start = Clock::now();
        const bool v4 = client.is_v4();
        const int protocol = v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
        bool raw = false;
        auto fd = connected_socket(SOCK_DGRAM, protocol, client, 0);
        if (!fd.valid()) {
            fd = connected_socket(SOCK_RAW, protocol, client, 0);
            raw = true;
        }
        if (!fd.valid()) return std::nullopt;
        const std::uint16_t identifier = random_u16();
        const std::uint16_t sequence = static_cast<std::uint16_t>(next_sequence_++);
        std::array<std::uint8_t, 16> packet{};
        packet[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
        packet[4] = static_cast<std::uint8_t>(identifier >> 8);
        packet[5] = static_cast<std::uint8_t>(identifier);
        packet[6] = static_cast<std::uint8_t>(sequence >> 8);
        packet[7] = static_cast<std::uint8_t>(sequence);
        if (v4) {  // the kernel computes ICMPv6 checksums itself
            const auto sum = checksum(packet);
            packet[2] = static_cast<std::uint8_t>(sum >> 8);
            packet[3] = static_cast<std::uint8_t>(sum);
        }
        if (::send(fd.get(), packet.data(), packet.size(), 0) < 0) return std::nullopt;
        const std::uint8_t reply_type = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
        const bool answered = await_reply(fd.get(), start + timeout, [&](std::span<const std::uint8_t> reply) {
            if (raw && v4) {
                if (reply.empty()) return false;
                const std::size_t header_bytes = static_cast<std::size_t>(reply[0] & 0x0F) * 4;
                if (reply.size() < header_bytes) return false;
                reply = reply.subspan(header_bytes);
            }
            if (reply.size() < 8 || reply[0] != reply_type) return false;
            const auto reply_sequence = static_cast<std::uint16_t>(reply[6] << 8 | reply[7]);
            const auto reply_identifier = static_cast<std::uint16_t>(reply[4] << 8 | reply[5]);
            // Ping sockets rewrite the identifier to their own port: only raw sockets check it.
            return reply_sequence == sequence && (!raw || reply_identifier == identifier);
        });
        if (!answered) return std::nullopt;
        return micros_since(start);
    }

private:
    static std::uint16_t checksum(std::span<const std::uint8_t> data) {
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        return static_cast<std::uint16_t>(~sum);
    }
    std::atomic<std::uint32_t> next_sequence_{1};
};

bool icmp_permitted() {
    for (int type : {SOCK_DGRAM, SOCK_RAW}) {
        net::Fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP));
        if (fd.valid()) return true;
    }
    return false;
}

}  // namespace

std::string_view name_of(report::LatencyMethod method) {
    switch (method) {
        case report::LatencyMethod::none: return "none";
        case report::LatencyMethod::dns_query: return "dns_query";
        case report::LatencyMethod::tcp_connect: return "tcp_connect";
        case report::LatencyMethod::icmp_echo: return "icmp_echo";
    }
    return "?";
}

std::unique_ptr<Method> make_dns_query_method(std::uint16_t port) { return std::make_unique<DnsQueryMethod>(port); }
std::unique_ptr<Method> make_tcp_connect_method(std::uint16_t port) { return std::make_unique<TcpConnectMethod>(port); }
std::unique_ptr<Method> make_icmp_echo_method() {
    if (!icmp_permitted()) return nullptr;
    return std::make_unique<IcmpEchoMethod>();
}

std::vector<std::unique_ptr<Method>> default_methods() {
    std::vector<std::unique_ptr<Method>> methods;
    methods.push_back(make_dns_query_method());
    methods.push_back(make_tcp_connect_method());
    if (auto icmp = make_icmp_echo_method()) methods.push_back(std::move(icmp));
    return methods;
}

}  // namespace udn::probe::latency
