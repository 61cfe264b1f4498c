#include "probe/service/scheduler.hpp"

#include "common/report/signer.hpp"

namespace udn::probe::service {

Scheduler::Scheduler(std::span<const Target> targets, net::Reactor& reactor, StartCheck start, OnResult on_result,
                     Settings settings)
    : targets_(targets),
      reactor_(reactor),
      start_(std::move(start)),
      on_result_(std::move(on_result)),
      settings_(settings) {
    if (settings_.max_in_flight == 0) settings_.max_in_flight = 1;
    const auto now = reactor_.now();
    const auto count = targets_.size();
    for (std::size_t i = 0; i < count; ++i) {
        // Evenly spread over the target's own interval: 10,000 targets at 1 s start 0.1 ms apart
        // instead of all at once, and keep that spacing since each keeps its own cadence.
        const auto interval_us = std::uint64_t{targets_[i].check.interval_ms} * 1000;
        const auto offset_us = settings_.spread_first_checks ? interval_us * i / count : 0;
        due_.push(Due{now + std::chrono::microseconds(offset_us), i});
    }
}

Scheduler::~Scheduler() {
    for (auto& [serial, flight] : in_flight_) reactor_.cancel_timer(flight.deadline);
}

std::optional<net::Clock::time_point> Scheduler::dispatch() {
    finished_checks_.clear();
    const auto now = reactor_.now();
    while (!due_.empty() && in_flight_.size() < settings_.max_in_flight && due_.top().at <= now) {
        const auto due = due_.top();
        due_.pop();
        launch(due, now);
        finished_checks_.clear();  // those that finished inside start
    }
    if (due_.empty() || in_flight_.size() >= settings_.max_in_flight) return std::nullopt;
    return due_.top().at;
}

void Scheduler::launch(const Due& due, net::Clock::time_point now) {
    const auto serial = next_serial_++;
    const auto& target = targets_[due.index];
    ++started_;
    start_delay_us_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - due.at).count());
    InFlight flight;
    flight.due = due;
    flight.started_unix_ms = report::unix_time_ms();
    flight.deadline = reactor_.add_timer(now + std::chrono::milliseconds(target.check.timeout_ms),
                                         [this, serial] { expire(serial); });
    in_flight_.emplace(serial, std::move(flight));
    auto check = start_(target, [this, serial](Outcome outcome) { finish(serial, std::move(outcome)); });
    auto found = in_flight_.find(serial);
    if (found == in_flight_.end()) {  // it finished inside start
        if (check) finished_checks_.push_back(std::move(check));
        return;
    }
    if (!check) {
        finish(serial, Outcome{report::CheckResult::other_error, 0, {}, "the check neither started nor finished"});
        return;
    }
    found->second.check = std::move(check);
}

void Scheduler::finish(std::uint64_t serial, Outcome outcome) {
    auto found = in_flight_.find(serial);
    if (found == in_flight_.end()) return;
    reactor_.cancel_timer(found->second.deadline);
    settle(found->second, outcome);
    in_flight_.erase(found);
}

void Scheduler::expire(std::uint64_t serial) {
    auto found = in_flight_.find(serial);
    if (found == in_flight_.end()) return;
    ++expired_;
    auto& flight = found->second;
    auto outcome = flight.check ? flight.check->expire() : Outcome{report::CheckResult::timeout, 0, {}, "timeout"};
    settle(flight, outcome);
    in_flight_.erase(found);
}

void Scheduler::settle(InFlight& flight, const Outcome& outcome) {
    ++finished_;
    if (flight.check) finished_checks_.push_back(std::move(flight.check));
    // Keep the cadence (due + interval) unless the check ended after that: then start again now.
    const auto& target = targets_[flight.due.index];
    const auto next = std::max(flight.due.at + std::chrono::milliseconds(target.check.interval_ms), reactor_.now());
    due_.push(Due{next, flight.due.index});
    on_result_(flight.due.index, outcome, flight.started_unix_ms);
}

}  // namespace udn::probe::service
