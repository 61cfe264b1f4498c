// The dns_query method: "NS of the root" to the client resolver's port 53; any answer (even
// REFUSED) is a round trip to the resolver. A port unreachable ends the series at once.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "probe/latency/datagram_method.hpp"
#include "probe/latency/entropy.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::latency {
namespace {

class DnsQueryProtocol : public DatagramProtocol {
public:
    explicit DnsQueryProtocol(std::uint16_t port)
        : port_(port), query_(service::build_dns_query(0, "", service::dns_type_ns).value()) {}

    report::LatencyMethod id() const override { return report::LatencyMethod::dns_query; }
    std::uint16_t port() const override { return port_; }

    // IP_RECVERR: the kernel queues ICMP errors with the probe they answer, which names the series
    // to end; without it an unconnected socket never hears of a port unreachable.
    net::Fd open_socket(udn::net::IpAddress::Family family) override {
        const bool v4 = family == udn::net::IpAddress::Family::v4;
        net::Fd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd.valid()) return fd;
        const int one = 1;
        if (v4) {
            ::setsockopt(fd.get(), SOL_IP, IP_RECVERR, &one, sizeof one);
        } else {
            ::setsockopt(fd.get(), SOL_IPV6, IPV6_RECVERR, &one, sizeof one);
        }
        return fd;
    }

    std::uint16_t next_token() override { return entropy_.next_u16(); }

    std::size_t write_probe(std::uint16_t token, udn::net::IpAddress::Family, std::span<std::uint8_t> out) override {
        if (out.size() < query_.size()) return 0;
        std::copy(query_.begin(), query_.end(), out.begin());
        out[0] = static_cast<std::uint8_t>(token >> 8);
        out[1] = static_cast<std::uint8_t>(token);
        return query_.size();
    }

    std::optional<std::uint16_t> read_reply(std::span<const std::uint8_t> reply, udn::net::IpAddress::Family) const override {
        const auto response = service::parse_dns_response(reply);
        if (!response) return std::nullopt;
        return response->id;
    }

    std::optional<std::uint16_t> read_returned_probe(std::span<const std::uint8_t> probe) const override {
        if (probe.size() < query_.size()) return std::nullopt;
        return static_cast<std::uint16_t>(probe[0] << 8 | probe[1]);
    }

private:
    std::uint16_t port_;
    std::vector<std::uint8_t> query_;  // with ID 0; each probe writes its own
    Entropy entropy_;
};

}  // namespace

std::unique_ptr<Method> make_dns_query_method(net::Reactor& reactor, std::uint16_t port) {
    return make_datagram_method(reactor, std::make_unique<DnsQueryProtocol>(port));
}

}  // namespace udn::probe::latency
