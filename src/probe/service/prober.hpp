// Runs every service check continuously from start-up, each at its own interval, on one thread:
// a Scheduler of non-blocking checks on a Reactor. Applies fall/rise and sends every result as a
// report (with the target's latest load, when its load agent answered recently).
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "probe/net/reactor.hpp"
#include "probe/reporter.hpp"
#include "probe/service/checks.hpp"
#include "probe/service/health.hpp"
#include "probe/service/loss_window.hpp"
#include "probe/service/scheduler.hpp"

namespace udn::probe::service {

// Where the prober finds a target's latest load; implemented by loadp::LoadPoller.
class LoadSource {
public:
    virtual ~LoadSource() = default;
    virtual std::optional<report::LoadSample> latest(const udn::net::Endpoint& agent) const = 0;
};

class Prober {
public:
    struct Settings {
        std::size_t max_in_flight = 1000;  // checks running at once (each holds a socket)
        // Starts the checks; defaults to a CheckRunner on the prober's reactor (tests inject fakes).
        std::function<StartCheck(net::Reactor&)> make_start_check;
    };

    Prober(std::vector<Target> targets, Reporter& reporter, const LoadSource* loads, Settings settings);
    ~Prober();
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    // Before start(): carries over, from a prober this one replaces (stopped), the up/down state
    // and loss window of every target whose check did not change, and the check counters.
    void adopt_state(const Prober& previous);

    void start();
    void stop();

    std::uint64_t checks_run() const { return checks_run_.load(std::memory_order_relaxed); }
    std::uint64_t checks_timed_out() const { return timed_out_.load(std::memory_order_relaxed); }
    std::size_t checks_in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    std::size_t target_count() const { return targets_.size(); }
    std::size_t down_count() const { return down_.load(std::memory_order_relaxed); }

private:
    struct State {
        report::CheckKind kind;
        HealthTracker health;
        LossWindow loss;
    };
    void run();
    void on_result(std::size_t index, const Outcome& outcome, std::uint64_t started_unix_ms);

    std::vector<Target> targets_;
    std::vector<State> states_;
    Reporter& reporter_;
    const LoadSource* loads_;
    Settings settings_;
    // Destroyed in reverse: the scheduler's running checks first, then curl, then the reactor.
    std::unique_ptr<net::Reactor> reactor_;
    std::unique_ptr<CheckRunner> runner_;
    std::unique_ptr<Scheduler> scheduler_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> checks_run_{0};
    std::atomic<std::uint64_t> timed_out_{0};
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<std::size_t> down_{0};
    std::thread thread_;
};

}  // namespace udn::probe::service
