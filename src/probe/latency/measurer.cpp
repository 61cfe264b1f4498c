#include "probe/latency/measurer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/report/signer.hpp"

namespace udn::probe::latency {

namespace {

// The loss field is a u8 count on the wire; more than a few dozen attempts would also make a
// series far longer than a measurement is worth.
constexpr std::size_t max_attempts = 100;

}  // namespace

Measurer::Measurer(net::Reactor& reactor, std::vector<std::unique_ptr<Method>> methods, Plan plan, Limits limits,
                   Measured measured)
    : reactor_(reactor),
      methods_(std::move(methods)),
      counters_(new Counters[methods_.size()]),
      plan_(plan),
      limits_(limits),
      measured_(std::move(measured)) {
    plan_.attempts = std::clamp<std::size_t>(plan_.attempts, 1, max_attempts);
    limits_.max_in_flight = std::max<std::size_t>(limits_.max_in_flight, 1);
}

Measurer::~Measurer() = default;

bool Measurer::submit(const udn::net::IpAddress& client) {
    if (waiting_.size() >= limits_.max_waiting) return false;
    waiting_.push_back(client);
    start_waiting();
    waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
    return true;
}

void Measurer::start_waiting() {
    while (!waiting_.empty() && in_flight_.load(std::memory_order_relaxed) < limits_.max_in_flight) {
        const auto client = waiting_.front();
        waiting_.pop_front();
        in_flight_.fetch_add(1, std::memory_order_relaxed);
        run_method(client, 0);
    }
    waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
}

void Measurer::run_method(const udn::net::IpAddress& client, std::size_t index) {
    if (methods_.empty()) {
        // Nothing to measure with: unreachable, delivered from the reactor like any result.
        reactor_.add_timer(reactor_.now(), [this, client] { finish(unanswered(client)); });
        return;
    }
    const auto started = reactor_.now();
    methods_[index]->start(client, plan_, [this, client, index, started](Series series) {
        series_over(client, index, started, std::move(series));
    });
}

void Measurer::series_over(const udn::net::IpAddress& client, std::size_t index, net::Clock::time_point started,
                           Series series) {
    const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(reactor_.now() - started);
    series.resize(plan_.attempts);  // a method may not shorten the series and so hide loss
    std::vector<std::uint32_t> answered;
    for (const auto& rtt : series) {
        if (rtt) answered.push_back(std::max<std::uint32_t>(*rtt, 1));
    }
    auto& counters = counters_[index];
    counters.attempts.fetch_add(plan_.attempts, std::memory_order_relaxed);
    counters.successes.fetch_add(answered.size(), std::memory_order_relaxed);
    counters.cost_us.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(spent.count(), 0)), std::memory_order_relaxed);
    if (answered.empty()) {
        if (index + 1 < methods_.size()) {
            run_method(client, index + 1);
        } else {
            finish(unanswered(client));
        }
        return;
    }
    auto measurement = unanswered(client);
    measurement.reachable = true;
    measurement.method = methods_[index]->id();
    measurement.rtt_us = median_us(answered);
    const auto lost = plan_.attempts - answered.size();
    measurement.loss_permille = static_cast<std::uint16_t>((lost * 1000 + plan_.attempts / 2) / plan_.attempts);
    finish(measurement);
}

report::LatencyMeasurement Measurer::unanswered(const udn::net::IpAddress& client) const {
    report::LatencyMeasurement measurement;
    measurement.client = client;
    measurement.attempts = static_cast<std::uint8_t>(plan_.attempts);
    measurement.loss_permille = report::max_loss_permille;
    return measurement;
}

void Measurer::finish(const report::LatencyMeasurement& measurement) {
    auto done = measurement;
    done.measured_at_ms = report::unix_time_ms();
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    measured_(done);
    start_waiting();
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
                       counters_[i].cost_us.load(), methods_[i]->receive_drops()});
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
        if (method.receive_drops > 0) text += fmt::format(", {} replies dropped unread", method.receive_drops);
    }
    return text;
}

}  // namespace udn::probe::latency
