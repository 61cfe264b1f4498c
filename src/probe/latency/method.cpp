#include "probe/latency/method.hpp"

#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>

#include "probe/net/socket.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::latency {
namespace {

using net::Clock;

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

std::uint32_t micros_between(Clock::time_point from, Clock::time_point to) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(micros, 1, UINT32_MAX));
}

Clock::time_point send_time(Clock::time_point start, const Plan& plan, std::size_t attempt) {
    return start + plan.spacing * static_cast<std::int64_t>(attempt);
}

int poll_ms_until(Clock::time_point wake) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

// A series over one connected datagram socket (DNS, ICMP): attempt k goes out at
// start + k * spacing through send(k) (false: the socket refused, nothing more is sent), and
// match(reply) names the attempt a reply answers. Ends when every attempt sent is answered or
// past its timeout, or at once on a socket error (an ICMP unreachable: nothing will answer).
template <class Send, class Match>
Series datagram_series(int fd, const Plan& plan, Send send, Match match) {
    Series rtts(plan.attempts);
    std::vector<Clock::time_point> sent_at;
    const auto start = Clock::now();
    bool stopped_sending = false;
    std::array<std::uint8_t, 1500> buffer{};
    for (;;) {
        const auto now = Clock::now();
        while (!stopped_sending && sent_at.size() < plan.attempts && now >= send_time(start, plan, sent_at.size())) {
            sent_at.push_back(now);
            stopped_sending = !send(sent_at.size() - 1);
        }
        auto wake = Clock::time_point::max();
        if (!stopped_sending && sent_at.size() < plan.attempts) wake = send_time(start, plan, sent_at.size());
        for (std::size_t k = 0; k < sent_at.size(); ++k) {
            if (!rtts[k] && sent_at[k] + plan.timeout > now) wake = std::min(wake, sent_at[k] + plan.timeout);
        }
        if (wake == Clock::time_point::max()) return rtts;
        pollfd item{fd, POLLIN, 0};
        const int ready = ::poll(&item, 1, poll_ms_until(wake));
        if (ready < 0 && errno != EINTR) return rtts;
        if (ready <= 0) continue;
        for (;;) {
            const auto size = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (size < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                return rtts;
            }
            const auto received = Clock::now();
            const auto k = match(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(size)));
            if (k && *k < sent_at.size() && !rtts[*k] && received - sent_at[*k] <= plan.timeout) {
                rtts[*k] = micros_between(sent_at[*k], received);
            }
        }
    }
}

class DnsQueryMethod : public Method {
public:
    explicit DnsQueryMethod(std::uint16_t port) : port_(port) {}
    report::LatencyMethod id() const override { return report::LatencyMethod::dns_query; }
    Series measure(const udn::net::IpAddress& client, const Plan& plan) override {
        auto fd = connected_socket(SOCK_DGRAM, 0, client, port_);
        if (!fd.valid()) return Series(plan.attempts);
        // One random ID per series, the attempt number added: a reply names its attempt.
        const auto first_id = random_u16();
        const auto send = [&](std::size_t k) {
            // Any answer to "NS of the root" (even REFUSED) is a round trip to the resolver.
            const auto query = service::build_dns_query(static_cast<std::uint16_t>(first_id + k), "", service::dns_type_ns);
            return query && ::send(fd.get(), query->data(), query->size(), 0) >= 0;
        };
        const auto match = [&](std::span<const std::uint8_t> reply) -> std::optional<std::size_t> {
            const auto response = service::parse_dns_response(reply);
            if (!response) return std::nullopt;
            return static_cast<std::uint16_t>(response->id - first_id);
        };
        return datagram_series(fd.get(), plan, send, match);
    }

private:
    std::uint16_t port_;
};

// Each attempt is its own connect. A lost SYN shows as a timeout only while timeout_ms is below
// the kernel's first SYN retransmission (1 s); above it, the retransmission may still connect
// and the loss shows as a round trip 1 s too long instead.
class TcpConnectMethod : public Method {
public:
    explicit TcpConnectMethod(std::uint16_t port) : port_(port) {}
    report::LatencyMethod id() const override { return report::LatencyMethod::tcp_connect; }
    Series measure(const udn::net::IpAddress& client, const Plan& plan) override {
        struct Pending {
            net::Fd fd;
            Clock::time_point sent_at;
            std::size_t attempt;
        };
        Series rtts(plan.attempts);
        std::vector<Pending> pending;
        std::size_t started = 0;
        const auto start = Clock::now();
        // A reset counts as an answer: it proves the host answered.
        const auto answered = [](int error) { return error == 0 || error == ECONNREFUSED; };
        for (;;) {
            auto now = Clock::now();
            while (started < plan.attempts && now >= send_time(start, plan, started)) {
                auto connect = net::start_connect({client, port_}, SOCK_STREAM);
                const auto attempt = started++;
                if (connect.fd.valid() && connect.in_progress) {
                    pending.push_back({std::move(connect.fd), now, attempt});
                } else if (connect.fd.valid() && answered(connect.error)) {
                    rtts[attempt] = micros_between(now, Clock::now());
                }
            }
            std::erase_if(pending, [&](const Pending& p) { return p.sent_at + plan.timeout <= now; });
            auto wake = started < plan.attempts ? send_time(start, plan, started) : Clock::time_point::max();
            for (const auto& p : pending) wake = std::min(wake, p.sent_at + plan.timeout);
            if (wake == Clock::time_point::max()) return rtts;
            std::vector<pollfd> items;
            for (const auto& p : pending) items.push_back({p.fd.get(), POLLOUT, 0});
            const int ready = ::poll(items.data(), items.size(), poll_ms_until(wake));
            if (ready <= 0) continue;
            now = Clock::now();
            for (std::size_t i = items.size(); i-- > 0;) {
                if (items[i].revents == 0) continue;
                if (answered(net::pending_error(items[i].fd))) rtts[pending[i].attempt] = micros_between(pending[i].sent_at, now);
                pending.erase(pending.begin() + static_cast<long>(i));
            }
        }
    }

private:
    std::uint16_t port_;
};

// ICMP echo over an unprivileged ping socket (the kernel matches replies by id), else a raw
// socket (we match id and sequence ourselves, skipping the IPv4 header).
class IcmpEchoMethod : public Method {
public:
    report::LatencyMethod id() const override { return report::LatencyMethod::icmp_echo; }
    Series measure(const udn::net::IpAddress& client, const Plan& plan) override {
        const bool v4 = client.is_v4();
        const int protocol = v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
        bool raw = false;
        auto fd = connected_socket(SOCK_DGRAM, protocol, client, 0);
        if (!fd.valid()) {
            fd = connected_socket(SOCK_RAW, protocol, client, 0);
            raw = true;
        }
        if (!fd.valid()) return Series(plan.attempts);
        const std::uint16_t identifier = random_u16();
        // Sequences first_sequence + k; the counter moves past the whole series.
        const auto first_sequence = static_cast<std::uint16_t>(next_sequence_.fetch_add(
            static_cast<std::uint32_t>(plan.attempts)));
        const auto send = [&](std::size_t k) {
            const auto sequence = static_cast<std::uint16_t>(first_sequence + k);
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
            return ::send(fd.get(), packet.data(), packet.size(), 0) >= 0;
        };
        const std::uint8_t reply_type = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
        const auto match = [&](std::span<const std::uint8_t> reply) -> std::optional<std::size_t> {
            if (raw && v4) {
                if (reply.empty()) return std::nullopt;
                const std::size_t header_bytes = static_cast<std::size_t>(reply[0] & 0x0F) * 4;
                if (reply.size() < header_bytes) return std::nullopt;
                reply = reply.subspan(header_bytes);
            }
            if (reply.size() < 8 || reply[0] != reply_type) return std::nullopt;
            const auto reply_sequence = static_cast<std::uint16_t>(reply[6] << 8 | reply[7]);
            const auto reply_identifier = static_cast<std::uint16_t>(reply[4] << 8 | reply[5]);
            // Ping sockets rewrite the identifier to their own port: only raw sockets check it.
            if (raw && reply_identifier != identifier) return std::nullopt;
            return static_cast<std::uint16_t>(reply_sequence - first_sequence);
        };
        return datagram_series(fd.get(), plan, send, match);
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
