#include "probe/latency/series_run.hpp"

#include <algorithm>

namespace udn::probe::latency {

SeriesRun::SeriesRun(net::Reactor& reactor, const Plan& plan)
    : reactor_(reactor),
      plan_(plan),
      states_(plan.attempts, State::waiting),
      sent_at_(plan.attempts),
      rtts_(plan.attempts) {}

SeriesRun::~SeriesRun() {
    if (timer_) reactor_.cancel_timer(*timer_);
}

void SeriesRun::begin(Over over) {
    over_ = std::move(over);
    start_ = reactor_.now();
    timer_at_ = start_;
    timer_ = reactor_.add_timer(start_, [this] { step(); });
}

bool SeriesRun::in_flight(std::size_t attempt) const {
    return attempt < states_.size() && states_[attempt] == State::in_flight;
}

net::Clock::time_point SeriesRun::send_time(std::size_t attempt) const {
    return start_ + plan_.spacing * static_cast<std::int64_t>(attempt);
}

void SeriesRun::step() {
    timer_.reset();
    stepping_ = true;
    const auto now = reactor_.now();
    for (std::size_t k = 0; k < next_to_send_; ++k) {
        if (states_[k] == State::in_flight && sent_at_[k] + plan_.timeout <= now) close_attempt(k);
    }
    while (next_to_send_ < states_.size() && send_time(next_to_send_) <= now) {
        const auto k = next_to_send_++;
        states_[k] = State::in_flight;
        sent_at_[k] = now;
        if (!send_attempt(k)) close_attempt(k);
    }
    stepping_ = false;
    arm_or_finish();
}

void SeriesRun::answer(std::size_t attempt, std::uint32_t rtt_us) {
    if (!in_flight(attempt)) return;
    const auto timeout_us = std::chrono::duration_cast<std::chrono::microseconds>(plan_.timeout).count();
    if (static_cast<std::int64_t>(rtt_us) > timeout_us) return;  // late: the attempt expires as lost
    rtts_[attempt] = std::max<std::uint32_t>(rtt_us, 1);
    close_attempt(attempt);
    if (!stepping_) arm_or_finish();
}

void SeriesRun::lose(std::size_t attempt) {
    if (!in_flight(attempt)) return;
    close_attempt(attempt);
    if (!stepping_) arm_or_finish();
}

void SeriesRun::end() {
    next_to_send_ = states_.size();
    for (std::size_t k = 0; k < states_.size(); ++k) close_attempt(k);
    if (!stepping_) arm_or_finish();
}

void SeriesRun::close_attempt(std::size_t attempt) {
    if (states_[attempt] != State::in_flight) return;
    states_[attempt] = State::over;
    release_attempt(attempt);
}

bool SeriesRun::over() const {
    return next_to_send_ == states_.size() &&
           std::none_of(states_.begin(), states_.end(), [](State state) { return state == State::in_flight; });
}

void SeriesRun::arm_or_finish() {
    if (over()) {
        if (timer_) reactor_.cancel_timer(*timer_);
        timer_.reset();
        if (over_) {
            auto over = std::move(over_);
            over_ = nullptr;
            over(*this);  // may destroy this run: nothing after it
        }
        return;
    }
    auto wake = next_to_send_ < states_.size() ? send_time(next_to_send_) : net::Clock::time_point::max();
    for (std::size_t k = 0; k < next_to_send_; ++k) {
        if (states_[k] == State::in_flight) wake = std::min(wake, sent_at_[k] + plan_.timeout);
    }
    // An answer only ever moves the wake later: a timer armed sooner stays (it re-arms when it
    // fires), which saves a cancel and an add per answered probe.
    if (timer_ && timer_at_ <= wake) return;
    if (timer_) reactor_.cancel_timer(*timer_);
    timer_at_ = wake;
    timer_ = reactor_.add_timer(wake, [this] { step(); });
}

}  // namespace udn::probe::latency
