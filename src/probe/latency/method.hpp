// Latency measurement methods, plug-ins tried cheapest first: a DNS query to the resolver
// itself, a TCP connect to its port 53 (a reset counts: it proves the host answered), and an
// ICMP echo where this process may open ICMP sockets. A method either measures a round trip
// or says it got nothing, so the measurer moves on to the next.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/net/ip_address.hpp"
#include "common/report/message.hpp"

namespace udn::probe::latency {

class Method {
public:
    virtual ~Method() = default;
    virtual report::LatencyMethod id() const = 0;
    // Round-trip time in microseconds, or nullopt if this method got no answer in time.
    virtual std::optional<std::uint32_t> measure(const udn::net::IpAddress& client, std::chrono::milliseconds timeout) = 0;
};

std::string_view name_of(report::LatencyMethod method);

// Port 53 of the client; tests point it elsewhere.
std::unique_ptr<Method> make_dns_query_method(std::uint16_t port = 53);
std::unique_ptr<Method> make_tcp_connect_method(std::uint16_t port = 53);
// nullptr when neither an unprivileged ICMP socket nor a raw socket may be opened here.
std::unique_ptr<Method> make_icmp_echo_method();

// The default chain, cheapest first (ICMP only where permitted).
std::vector<std::unique_ptr<Method>> default_methods();

}  // namespace udn::probe::latency
