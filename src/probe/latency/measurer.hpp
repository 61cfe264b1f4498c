// Measures one client's latency and loss: each method in order sends its series of attempts
// (method.hpp's Plan) until one gets any answer; its answers give the RTT (their median) and
// the unanswered share the loss. Counts per method the probes sent, the probes answered and
// what it cost (time spent, timeouts included), so operators can see which methods pay off.
#pragma once
#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "probe/latency/method.hpp"

namespace udn::probe::latency {

struct MethodStats {
    report::LatencyMethod method = report::LatencyMethod::none;
    std::uint64_t attempts = 0;   // probes sent (plan.attempts per series)
    std::uint64_t successes = 0;  // probes answered
    std::uint64_t cost_us = 0;  // total time spent in this method
};

// The lower median of the answered round trips (what a measurement reports as rtt_us).
std::uint32_t median_us(std::vector<std::uint32_t> samples);

class Measurer {
public:
    Measurer(std::vector<std::unique_ptr<Method>> methods, Plan plan);

    // Thread-safe: methods are stateless per call. Takes at most, per method tried,
    // (attempts - 1) * spacing + timeout.
    report::LatencyMeasurement measure(const udn::net::IpAddress& client);
    const Plan& plan() const { return plan_; }
    std::vector<MethodStats> stats() const;
    // "dns_query 12/15 ok, mean 3.1 ms; ..." for logs.
    std::string stats_text() const;

private:
    struct Counters {
        std::atomic<std::uint64_t> attempts{0};
        std::atomic<std::uint64_t> successes{0};
        std::atomic<std::uint64_t> cost_us{0};
    };
    std::vector<std::unique_ptr<Method>> methods_;
    std::unique_ptr<Counters[]> counters_;
    Plan plan_;
};

}  // namespace udn::probe::latency
