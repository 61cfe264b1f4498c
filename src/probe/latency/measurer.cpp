#include "probe/latency/measurer.hpp"

#include <fmt/format.h>

#include "common/report/signer.hpp"

namespace udn::probe::latency {

Measurer::Measurer(std::vector<std::unique_ptr<Method>> methods, std::chrono::milliseconds timeout_per_method)
    : methods_(std::move(methods)), counters_(new Counters[methods_.size()]), timeout_(timeout_per_method) {}

report::LatencyMeasurement Measurer::measure(const udn::net::IpAddress& client) {
    report::LatencyMeasurement measurement;
    measurement.client = client;
    for (std::size_t i = 0; i < methods_.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto rtt_us = methods_[i]->measure(client, timeout_);
        const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        counters_[i].attempts.fetch_add(1, std::memory_order_relaxed);
        counters_[i].cost_us.fetch_add(static_cast<std::uint64_t>(spent.count()), std::memory_order_relaxed);
        if (rtt_us) {
            counters_[i].successes.fetch_add(1, std::memory_order_relaxed);
            measurement.reachable = true;
            measurement.method = methods_[i]->id();
            measurement.rtt_us = std::max<std::uint32_t>(*rtt_us, 1);
            break;
        }
    }
    measurement.measured_at_ms = report::unix_time_ms();
    return measurement;
}

std::vector<MethodStats> Measurer::stats() const {
    std::vector<MethodStats> all;
    for (std::size_t i = 0; i < methods_.size(); ++i) {
        all.push_back({methods_[i]->id(), counters_[i].attempts.load(), counters_[i].successes.load(),
                       counters_[i].cost_us.load()});
    }
    return all;
}

std::string Measurer::stats_text() const {
    std::string text;
    for (const auto& method : stats()) {
        if (!text.empty()) text += "; ";
        const double mean_ms = method.attempts ? static_cast<double>(method.cost_us) / method.attempts / 1000.0 : 0.0;
        text += fmt::format("{} {}/{} answered, mean cost {:.2f} ms", name_of(method.method), method.successes,
                            method.attempts, mean_ms);
    }
    return text;
}

}  // namespace udn::probe::latency
