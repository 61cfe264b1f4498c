#include "probe/service/prober.hpp"

#include <spdlog/spdlog.h>

#include "common/report/signer.hpp"
#include "probe/service/checks.hpp"

namespace udn::probe::service {

Prober::Prober(std::vector<Target> targets, Reporter& reporter, const LoadSource* loads, Settings settings)
    : reporter_(reporter), loads_(loads), settings_(std::move(settings)) {
    if (!settings_.check) settings_.check = &run_check;
    if (settings_.threads == 0) settings_.threads = 1;
    for (auto& target : targets) {
        const auto kind = wire_check_kind(target.check.type);
        if (!kind) continue;
        HealthTracker health(target.check.fall, target.check.rise);
        entries_.push_back(Entry{std::move(target), *kind, health});
    }
}

Prober::~Prober() { stop(); }

void Prober::start() {
    // Spread first checks over 100 ms so thousands of targets do not start in one burst.
    const auto now = Clock::now();
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            const auto offset = std::chrono::microseconds(entries_.empty() ? 0 : 100'000 * i / entries_.size());
            queue_.push(Due{now + offset, i});
        }
    }
    const auto threads = std::min(settings_.threads, std::max<std::size_t>(entries_.size(), 1));
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

void Prober::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
}

std::uint64_t Prober::checks_run() const {
    std::lock_guard lock(mutex_);
    return checks_run_;
}

void Prober::work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto due = queue_.top();
        if (due.at > Clock::now()) {
            wake_.wait_until(lock, due.at);
            continue;
        }
        queue_.pop();
        lock.unlock();
        auto& entry = entries_[due.index];
        run_one(entry);
        lock.lock();
        ++checks_run_;
        // Keep the cadence (due + interval) unless a slow check made us late.
        const auto next = std::max(due.at + std::chrono::milliseconds(entry.target.check.interval_ms), Clock::now());
        queue_.push(Due{next, due.index});
        wake_.notify_one();
    }
}

void Prober::run_one(Entry& entry) {
    const auto measured_at_ms = report::unix_time_ms();
    const auto outcome = settings_.check(entry.target);
    const auto previous = entry.health.state();
    const auto state = entry.health.record(outcome.ok());
    if (previous != state) {
        if (state == report::ServiceState::down) {
            down_.fetch_add(1, std::memory_order_relaxed);
        } else if (previous) {
            down_.fetch_sub(1, std::memory_order_relaxed);
        }
        spdlog::info("{} ({}) is now {}: {}", entry.target.label(), config::to_string(entry.target.check.type),
                     state == report::ServiceState::up ? "up" : "down", outcome.detail);
    }
    report::ServiceReport report;
    report.target = entry.target.kind;
    report.customer = entry.target.customer;
    report.name = entry.target.name;
    report.check = entry.kind;
    report.state = state;
    report.result = outcome.result;
    report.code = outcome.code;
    report.timing = outcome.timing;
    if (loads_) {
        if (auto load = loads_->latest(entry.target.load_agent)) {
            report.has_load = true;
            report.load = *load;
        }
    }
    report.detail = outcome.detail.substr(0, report::max_name_bytes);
    reporter_.send(report, measured_at_ms);
}

}  // namespace udn::probe::service
