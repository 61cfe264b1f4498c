#include "probe/latency/measurer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/report/signer.hpp"

namespace udn::probe::latency {

namespace {

// The loss field is a u8 count on the wire; more than a few dozen attempts would also make a
// worker far slower than a measurement is worth.
constexpr std::size_t max_attempts = 100;

}  // namespace

Measurer::Measurer(std::vector<std::unique_ptr<Method>> methods, Plan plan)
    : methods_(std::move(methods)), counters_(new Counters[methods_.size()]), plan_(plan) {
    plan_.attempts = std::clamp<std::size_t>(plan_.attempts, 1, max_attempts);
}

report::LatencyMeasurement Measurer::measure(const udn::net::IpAddress& client) {
    report::LatencyMeasurement measurement;
    measurement.client = client;
    measurement.attempts = static_cast<std::uint8_t>(plan_.attempts);
    measurement.loss_permille = report::max_loss_permille;
    for (std::size_t i = 0; i < methods_.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto series = methods_[i]->measure(client, plan_);
        const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        series.resize(plan_.attempts);  // a method may not shorten the series and so hide loss
        std::vector<std::uint32_t> answered;
        for (const auto& rtt : series) {
            if (rtt) answered.push_back(std::max<std::uint32_t>(*rtt, 1));
        }
        counters_[i].attempts.fetch_add(plan_.attempts, std::memory_order_relaxed);
        counters_[i].successes.fetch_add(answered.size(), std::memory_order_relaxed);
        counters_[i].cost_us.fetch_add(static_cast<std::uint64_t>(spent.count()), std::memory_order_relaxed);
        if (answered.empty()) continue;
        measurement.reachable = true;
        measurement.method = methods_[i]->id();
        measurement.rtt_us = median_us(answered);
        const auto lost = plan_.attempts - answered.size();
        measurement.loss_permille = static_cast<std::uint16_t>((lost * 1000 + plan_.attempts / 2) / plan_.attempts);
        break;
    }
    measurement.measured_at_ms = report::unix_time_ms();
    return measurement;
}

// The lower median: always one of the real samples. Not the minimum, which rewards one lucky
// probe, and not the mean, which one probe delayed by a queue or a resolver's hiccup drags.
std::uint32_t median_us(std::vector<std::uint32_t> samples) {
    if (samples.empty()) return 0;
    const auto middle = samples.begin() + static_cast<long>((samples.size() - 1) / 2);
    std::nth_element(samples.begin(), middle, samples.end());
    return *middle;
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
