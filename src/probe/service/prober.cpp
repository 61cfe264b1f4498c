#include "probe/service/prober.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "common/report/signer.hpp"
#include "common/runtime/thread_name.hpp"

namespace udn::probe::service {

Prober::Prober(std::vector<Target> targets, Reporter& reporter, const LoadSource* loads, Settings settings)
    : reporter_(reporter), loads_(loads), settings_(std::move(settings)), reactor_(std::make_unique<net::Reactor>()) {
    for (auto& target : targets) {
        const auto kind = wire_check_kind(target.check.type);
        if (!kind) continue;
        states_.push_back(State{*kind, HealthTracker(target.check.fall, target.check.rise), LossWindow{}});
        targets_.push_back(std::move(target));
    }
    StartCheck start_check;
    if (settings_.make_start_check) {
        start_check = settings_.make_start_check(*reactor_);
    } else {
        runner_ = std::make_unique<CheckRunner>(*reactor_);
        start_check = [runner = runner_.get()](const Target& target, CheckDone done) {
            return runner->start(target, std::move(done));
        };
    }
    scheduler_ = std::make_unique<Scheduler>(
        targets_, *reactor_, std::move(start_check),
        [this](std::size_t index, const Outcome& outcome, std::uint64_t started_unix_ms) {
            on_result(index, outcome, started_unix_ms);
        },
        Scheduler::Settings{settings_.max_in_flight, true});
}

Prober::~Prober() { stop(); }

void Prober::adopt_state(const Prober& previous) {
    std::unordered_map<std::string, std::size_t> by_label;
    for (std::size_t i = 0; i < previous.targets_.size(); ++i) by_label.emplace(previous.targets_[i].label(), i);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
        const auto found = by_label.find(targets_[i].label());
        if (found == by_label.end() || !same_check(targets_[i], previous.targets_[found->second])) continue;
        const auto& health = previous.states_[found->second].health;
        if (health.state() == report::ServiceState::down) down_.fetch_add(1, std::memory_order_relaxed);
        states_[i].health = health;
        states_[i].loss = previous.states_[found->second].loss;
        ++kept;
    }
    checks_run_.fetch_add(previous.checks_run(), std::memory_order_relaxed);
    timed_out_.fetch_add(previous.checks_timed_out(), std::memory_order_relaxed);
    spdlog::info("kept the up/down state of {} of {} services across the reload", kept, targets_.size());
}

void Prober::start() {
    if (!thread_.joinable()) {
        thread_ = std::thread([this] {
            runtime::name_this_thread("udn-probe-svc");
            run();
        });
    }
}

void Prober::stop() {
    stopping_ = true;
    reactor_->wake();
    if (thread_.joinable()) thread_.join();
}

void Prober::run() {
    // The wait is capped so a stop() is seen promptly even if its wake-up were lost.
    constexpr auto max_wait = std::chrono::milliseconds(250);
    while (!stopping_) {
        const auto next_due = scheduler_->dispatch();
        in_flight_.store(scheduler_->in_flight(), std::memory_order_relaxed);
        auto wait = max_wait;
        if (next_due) {
            const auto until = std::chrono::ceil<std::chrono::milliseconds>(*next_due - reactor_->now());
            wait = std::clamp(until, std::chrono::milliseconds(0), max_wait);
        }
        reactor_->run_once(wait);
    }
}

void Prober::on_result(std::size_t index, const Outcome& outcome, std::uint64_t started_unix_ms) {
    const auto& target = targets_[index];
    auto& state = states_[index];
    checks_run_.fetch_add(1, std::memory_order_relaxed);
    if (outcome.result == report::CheckResult::timeout) timed_out_.fetch_add(1, std::memory_order_relaxed);
    state.loss.record(outcome.result == report::CheckResult::timeout);
    const auto previous = state.health.state();
    const auto current = state.health.record(outcome.ok());
    if (previous != current) {
        if (current == report::ServiceState::down) {
            down_.fetch_add(1, std::memory_order_relaxed);
        } else if (previous) {
            down_.fetch_sub(1, std::memory_order_relaxed);
        }
        spdlog::info("{} ({}) is now {}: {}", target.label(), config::to_string(target.check.type),
                     current == report::ServiceState::up ? "up" : "down", outcome.detail);
    }
    report::ServiceReport report;
    report.target = target.kind;
    report.customer = target.customer;
    report.name = target.name;
    report.check = state.kind;
    report.state = current;
    report.result = outcome.result;
    report.code = outcome.code;
    report.timing = outcome.timing;
    report.loss_permille = state.loss.loss_permille();
    report.loss_checks = state.loss.checks();
    if (loads_) {
        if (auto load = loads_->latest(target.load_agent)) {
            report.has_load = true;
            report.load = *load;
        }
    }
    report.detail = outcome.detail.substr(0, report::max_name_bytes);
    reporter_.send(report, started_unix_ms);
}

}  // namespace udn::probe::service
