// The icmp_echo method: echo requests over an unprivileged ping socket (the kernel gives it the
// replies to its own identifier), else a raw socket (we check the identifier ourselves and skip
// the IPv4 header). The token is the echo sequence number.
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>

#include <array>

#include "probe/latency/datagram_method.hpp"
#include "probe/latency/entropy.hpp"

namespace udn::probe::latency {
namespace {

using Family = udn::net::IpAddress::Family;

std::uint16_t checksum(std::span<const std::uint8_t> data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

net::Fd icmp_socket(Family family, int type) {
    const bool v4 = family == Family::v4;
    return net::Fd(::socket(v4 ? AF_INET : AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6)));
}

class IcmpEchoProtocol : public DatagramProtocol {
public:
    IcmpEchoProtocol() : identifier_(entropy_.next_u16()), next_sequence_(entropy_.next_u16()) {}

    report::LatencyMethod id() const override { return report::LatencyMethod::icmp_echo; }
    std::uint16_t port() const override { return 0; }

    net::Fd open_socket(Family family) override {
        auto fd = icmp_socket(family, SOCK_DGRAM);
        raw_[index(family)] = !fd.valid();
        if (!fd.valid()) fd = icmp_socket(family, SOCK_RAW);
        return fd;
    }

    std::uint16_t next_token() override { return next_sequence_++; }

    std::size_t write_probe(std::uint16_t sequence, Family family, std::span<std::uint8_t> out) override {
        constexpr std::size_t size = 16;
        if (out.size() < size) return 0;
        const bool v4 = family == Family::v4;
        std::fill(out.begin(), out.begin() + size, std::uint8_t{0});
        out[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
        out[4] = static_cast<std::uint8_t>(identifier_ >> 8);
        out[5] = static_cast<std::uint8_t>(identifier_);
        out[6] = static_cast<std::uint8_t>(sequence >> 8);
        out[7] = static_cast<std::uint8_t>(sequence);
        if (v4) {  // the kernel computes ICMPv6 checksums itself
            const auto sum = checksum(out.first(size));
            out[2] = static_cast<std::uint8_t>(sum >> 8);
            out[3] = static_cast<std::uint8_t>(sum);
        }
        return size;
    }

    std::optional<std::uint16_t> read_reply(std::span<const std::uint8_t> reply, Family family) const override {
        const bool v4 = family == Family::v4;
        const bool raw = raw_[index(family)];
        if (raw && v4) {  // raw IPv4 sockets see the IP header
            if (reply.empty()) return std::nullopt;
            const std::size_t header_bytes = static_cast<std::size_t>(reply[0] & 0x0F) * 4;
            if (reply.size() < header_bytes) return std::nullopt;
            reply = reply.subspan(header_bytes);
        }
        if (reply.size() < 8 || reply[0] != (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY)) return std::nullopt;
        // Ping sockets rewrite the identifier to their own port: only raw sockets check it.
        if (raw && static_cast<std::uint16_t>(reply[4] << 8 | reply[5]) != identifier_) return std::nullopt;
        return static_cast<std::uint16_t>(reply[6] << 8 | reply[7]);
    }

    std::optional<std::uint16_t> read_returned_probe(std::span<const std::uint8_t>) const override { return std::nullopt; }

private:
    static std::size_t index(Family family) { return family == Family::v4 ? 0 : 1; }

    Entropy entropy_;
    std::uint16_t identifier_;
    std::uint16_t next_sequence_;
    std::array<bool, 2> raw_{};
};

bool icmp_permitted() {
    for (int type : {SOCK_DGRAM, SOCK_RAW}) {
        if (icmp_socket(Family::v4, type).valid()) return true;
    }
    return false;
}

}  // namespace

std::unique_ptr<Method> make_icmp_echo_method(net::Reactor& reactor) {
    if (!icmp_permitted()) return nullptr;
    return make_datagram_method(reactor, std::make_unique<IcmpEchoProtocol>());
}

}  // namespace udn::probe::latency
