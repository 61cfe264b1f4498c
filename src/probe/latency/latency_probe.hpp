// The POP's latency probe inside `udn probe`: takes latency requests from DNS servers on
// ports.latency (many client resolvers per datagram), answers at once from its table what is
// fresh, measures the rest (thousands at once, on one event-driven thread), sends results back
// to the asking DNS servers in batches, and re-measures wanted clients before their results go
// stale.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/latency/measurer.hpp"
#include "probe/latency/table.hpp"
#include "probe/net/reactor.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::latency {

class LatencyProbe {
public:
    struct Settings {
        udn::net::Endpoint bind;
        std::string sender;  // this server's name
        std::string pop;     // this POP's name, in every result
        std::uint32_t max_age_ms = 10000;          // probe.report_max_age_ms
        std::uint64_t staleness_ms = 3'600'000;    // probe.latency_staleness_s: refresh at half of it
        std::size_t batch_max = 64;                // probe.latency_batch_max
        Plan plan;
        Measurer::Limits limits;                   // clients measured at once, waiting
    };
    // Makes the measuring methods, cheapest first, on the probe's reactor.
    using MethodFactory = std::function<std::vector<std::unique_ptr<Method>>(net::Reactor&)>;

    LatencyProbe(report::Key key, Settings settings, const MethodFactory& make_methods);
    ~LatencyProbe();

    void start();
    void stop();
    udn::net::Endpoint local_endpoint() const { return socket_.local_endpoint(); }
    // Thread-safe: counters only.
    const Measurer& measurer() const { return *measurer_; }
    std::uint64_t requests_accepted() const { return requests_.load(); }
    std::uint64_t datagrams_dropped() const { return dropped_.load(); }
    std::size_t table_size() const { return table_size_.load(); }

private:
    void receive_requests();
    void handle_request(const report::LatencyRequest& request, const udn::net::Endpoint& requester);
    void measure(const std::vector<udn::net::IpAddress>& clients);
    void measured(const report::LatencyMeasurement& measurement);
    void housekeeping();
    void queue_result(const udn::net::Endpoint& requester, const report::LatencyMeasurement& measurement);
    void flush();
    void send_results(const udn::net::Endpoint& to, std::vector<report::LatencyMeasurement> measurements);

    Settings settings_;
    report::Signer signer_;
    report::Verifier verifier_;
    net::UdpSocket socket_;
    // Everything below runs on the reactor's thread only; the reactor outlives the measurer and
    // its methods, whose sockets and timers it holds.
    net::Reactor reactor_;
    std::unique_ptr<Measurer> measurer_;
    ResolverTable table_;
    std::map<udn::net::Endpoint, std::vector<report::LatencyMeasurement>> outbox_;

    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::size_t> table_size_{0};
    std::thread loop_;
};

}  // namespace udn::probe::latency
