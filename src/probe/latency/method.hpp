// Latency measurement methods, plug-ins tried cheapest first: a DNS query to the resolver
// itself, a TCP connect to its port 53 (a reset counts: it proves the host answered), and an
// ICMP echo where this process may open ICMP sockets. A method sends a short series of probes
// spaced apart (so that one burst of loss does not take them all) and reports which were
// answered and how fast; one that got nothing makes the measurer move on to the next. Methods
// run on one Reactor and keep many series in flight at once.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/net/ip_address.hpp"
#include "common/report/message.hpp"
#include "probe/net/reactor.hpp"

namespace udn::probe::latency {

// How one method probes one client: `attempts` probes, the k-th sent at start + k * spacing,
// each answered in time if its reply comes within `timeout` of its sending. A series thus takes
// at most (attempts - 1) * spacing + timeout.
struct Plan {
    std::size_t attempts = 4;
    std::chrono::milliseconds spacing{25};
    std::chrono::milliseconds timeout{500};
};

// The round-trip time of each attempt in µs, in sending order; nullopt = no answer in time.
using Series = std::vector<std::optional<std::uint32_t>>;
// Always plan.attempts entries; attempts not sent (the method gave up, e.g. the port is
// unreachable) are nullopt.
using SeriesDone = std::function<void(Series)>;

class Method {
public:
    virtual ~Method() = default;
    virtual report::LatencyMethod id() const = 0;
    // Starts a series to `client`. `done` runs exactly once, later, from a handler of the
    // reactor the method was made with (never from within start). Destroying the method
    // abandons its series without calling their `done`.
    virtual void start(const udn::net::IpAddress& client, const Plan& plan, SeriesDone done) = 0;
    // Series started and not yet done.
    virtual std::size_t in_flight() const = 0;
    // Replies the kernel dropped because this method's sockets were not read in time (their
    // probes then count as lost): 0 for methods without a shared socket. Thread-safe.
    virtual std::uint64_t receive_drops() const { return 0; }
};

std::string_view name_of(report::LatencyMethod method);

// Port 53 of the client; tests point it elsewhere. One UDP socket per address family for every
// series (answers matched by address, port and a random query ID).
std::unique_ptr<Method> make_dns_query_method(net::Reactor& reactor, std::uint16_t port = 53);
// One socket per attempt; at most max_sockets open at once (series wait for room beyond that).
std::unique_ptr<Method> make_tcp_connect_method(net::Reactor& reactor, std::uint16_t port = 53,
                                                std::size_t max_sockets = 1024);
// nullptr when neither an unprivileged ICMP socket nor a raw socket may be opened here. One
// socket per address family for every series.
std::unique_ptr<Method> make_icmp_echo_method(net::Reactor& reactor);

// The default chain, cheapest first (ICMP only where permitted).
std::vector<std::unique_ptr<Method>> default_methods(net::Reactor& reactor, std::size_t max_tcp_sockets);

}  // namespace udn::probe::latency
