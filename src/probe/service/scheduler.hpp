// Runs every target's check at its own interval on one reactor: a time-ordered queue of due
// checks, at most max_in_flight running at once (so a probe never opens thousands of sockets in
// one burst), each bounded by its timeout_ms. First checks are spread over each target's
// interval. Single-threaded: call dispatch() between the reactor's run_once() rounds.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <unordered_map>
#include <vector>

#include "probe/net/reactor.hpp"
#include "probe/service/running_check.hpp"

namespace udn::probe::service {

class Scheduler {
public:
    struct Settings {
        std::size_t max_in_flight = 1000;
        bool spread_first_checks = true;  // false: every first check is due at start (tests)
    };
    // A finished check of targets[index]; started_unix_ms is when it began (the report's timestamp).
    using OnResult = std::function<void(std::size_t index, const Outcome& outcome, std::uint64_t started_unix_ms)>;

    // `targets` and `reactor` must outlive the scheduler.
    Scheduler(std::span<const Target> targets, net::Reactor& reactor, StartCheck start, OnResult on_result,
              Settings settings);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Starts every due check while a slot is free; returns when the next one is due, or nullopt
    // when none is waiting for time (nothing to check, or all waiting for a free slot).
    std::optional<net::Clock::time_point> dispatch();

    std::size_t in_flight() const { return in_flight_.size(); }
    std::size_t waiting() const { return due_.size(); }
    std::uint64_t started() const { return started_; }
    std::uint64_t finished() const { return finished_; }
    std::uint64_t expired() const { return expired_; }
    // How far behind their due time checks started, summed (a probe that cannot keep up grows it).
    std::uint64_t start_delay_us() const { return start_delay_us_; }

private:
    struct Due {
        net::Clock::time_point at;
        std::size_t index;
        bool operator>(const Due& other) const { return at > other.at || (at == other.at && index > other.index); }
    };
    struct InFlight {
        Due due;
        std::uint64_t started_unix_ms = 0;
        net::Reactor::TimerId deadline = 0;
        std::unique_ptr<RunningCheck> check;
    };
    void launch(const Due& due, net::Clock::time_point now);
    void finish(std::uint64_t serial, Outcome outcome);
    void expire(std::uint64_t serial);
    void settle(InFlight& flight, const Outcome& outcome);

    std::span<const Target> targets_;
    net::Reactor& reactor_;
    StartCheck start_;
    OnResult on_result_;
    Settings settings_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
    std::uint64_t next_serial_ = 1;
    std::unordered_map<std::uint64_t, InFlight> in_flight_;
    // Finished checks are destroyed at the next dispatch, never inside their own callbacks.
    std::vector<std::unique_ptr<RunningCheck>> finished_checks_;
    std::uint64_t started_ = 0;
    std::uint64_t finished_ = 0;
    std::uint64_t expired_ = 0;
    std::uint64_t start_delay_us_ = 0;
};

}  // namespace udn::probe::service
