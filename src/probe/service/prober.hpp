// Runs every service check continuously from start-up, each at its own interval, on a small
// pool of worker threads; applies fall/rise and sends every result as a report (with the
// target's latest load, when its load agent answered recently).
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "probe/reporter.hpp"
#include "probe/service/health.hpp"
#include "probe/service/outcome.hpp"
#include "probe/service/target.hpp"

namespace udn::probe::service {

// Where the prober finds a target's latest load; implemented by loadp::LoadPoller.
class LoadSource {
public:
    virtual ~LoadSource() = default;
    virtual std::optional<report::LoadSample> latest(const udn::net::Endpoint& agent) const = 0;
};

class Prober {
public:
    using CheckFunction = std::function<Outcome(const Target&)>;

    struct Settings {
        std::size_t threads = 8;
        CheckFunction check;  // defaults to run_check (tests inject fakes)
    };

    Prober(std::vector<Target> targets, Reporter& reporter, const LoadSource* loads, Settings settings);
    ~Prober();
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    void start();
    void stop();

    std::uint64_t checks_run() const;
    std::size_t target_count() const { return entries_.size(); }
    std::size_t down_count() const { return down_.load(std::memory_order_relaxed); }

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        Target target;
        report::CheckKind kind;
        HealthTracker health;
    };
    struct Due {
        Clock::time_point at;
        std::size_t index;
        bool operator>(const Due& other) const { return at > other.at; }
    };
    void work();
    void run_one(Entry& entry);

    std::vector<Entry> entries_;
    Reporter& reporter_;
    const LoadSource* loads_;
    Settings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> queue_;
    bool stopping_ = false;
    std::uint64_t checks_run_ = 0;
    std::atomic<std::size_t> down_{0};
    std::vector<std::thread> workers_;
};

}  // namespace udn::probe::service
