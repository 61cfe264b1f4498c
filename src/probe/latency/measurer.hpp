// Measures one client's latency by trying each method in order until one answers, and counts
// per method how often it was tried, how often it answered, and what it cost (time spent,
// timeouts included), so operators can see which methods pay off.
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
    std::uint64_t attempts = 0;
    std::uint64_t successes = 0;
    std::uint64_t cost_us = 0;  // total time spent in this method
};

class Measurer {
public:
    Measurer(std::vector<std::unique_ptr<Method>> methods, std::chrono::milliseconds timeout_per_method);

    // Thread-safe: methods are stateless per call.
    report::LatencyMeasurement measure(const udn::net::IpAddress& client);
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
    std::chrono::milliseconds timeout_;
};

}  // namespace udn::probe::latency
