// Measures clients' latency and loss on one Reactor, many at once: each method in order sends
// its series of attempts (method.hpp's Plan) until one gets any answer; its answers give the RTT
// (their median) and the unanswered share the loss. At most max_in_flight clients are measured
// at once, up to max_waiting more wait in order. Counts per method the probes sent, the probes
// answered and what it cost (the series' time, timeouts included), so operators can see which
// methods pay off.
#pragma once
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "probe/latency/method.hpp"

namespace udn::probe::latency {

struct MethodStats {
    report::LatencyMethod method = report::LatencyMethod::none;
    std::uint64_t attempts = 0;   // probes sent (plan.attempts per series)
    std::uint64_t successes = 0;  // probes answered
    std::uint64_t cost_us = 0;    // total time of this method's series
    std::uint64_t receive_drops = 0;  // replies dropped by the kernel before we read them
};

// The lower median of the answered round trips (what a measurement reports as rtt_us).
std::uint32_t median_us(std::vector<std::uint32_t> samples);

class Measurer {
public:
    struct Limits {
        std::size_t max_in_flight = 4096;  // clients being measured at once
        std::size_t max_waiting = 100'000;
    };
    using Measured = std::function<void(const report::LatencyMeasurement&)>;

    // `methods` must run on `reactor`. `measured` runs for every submitted client, from a handler
    // of the reactor, never from within submit().
    Measurer(net::Reactor& reactor, std::vector<std::unique_ptr<Method>> methods, Plan plan, Limits limits,
             Measured measured);
    ~Measurer();

    // Queues a client for measurement; false (and nothing else happens) when max_waiting are
    // waiting already. Reactor thread only.
    bool submit(const udn::net::IpAddress& client);

    const Plan& plan() const { return plan_; }
    // Thread-safe.
    std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    std::size_t waiting() const { return waiting_count_.load(std::memory_order_relaxed); }
    std::vector<MethodStats> stats() const;
    // "dns_query 12/15 ok, mean 3.1 ms; ..." for logs.
    std::string stats_text() const;

private:
    struct Counters {
        std::atomic<std::uint64_t> attempts{0};
        std::atomic<std::uint64_t> successes{0};
        std::atomic<std::uint64_t> cost_us{0};
    };
    void start_waiting();
    void run_method(const udn::net::IpAddress& client, std::size_t index);
    void series_over(const udn::net::IpAddress& client, std::size_t index, net::Clock::time_point started,
                     Series series);
    report::LatencyMeasurement unanswered(const udn::net::IpAddress& client) const;
    void finish(const report::LatencyMeasurement& measurement);

    net::Reactor& reactor_;
    std::vector<std::unique_ptr<Method>> methods_;
    std::unique_ptr<Counters[]> counters_;
    Plan plan_;
    Limits limits_;
    Measured measured_;
    std::deque<udn::net::IpAddress> waiting_;
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<std::size_t> waiting_count_{0};
};

}  // namespace udn::probe::latency
