// Counters, gauges and histograms for every role, rendered in Prometheus text format on
// GET /metrics. Registration (control path) takes a lock; updates (hot path) never do: each
// counter is split into cache-line-sized shards picked per thread and updated with relaxed
// atomics, and the shards are summed only when /metrics is read.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udn::runtime {

using Labels = std::vector<std::pair<std::string, std::string>>;

namespace detail {
inline constexpr std::size_t metric_shards = 16;
// The shard a thread writes to: threads are spread round-robin as they first touch a metric.
// Inline, behind a constant-initialised thread_local (no guard): a DNS worker adds to three
// counters per query, and an out-of-line call with a guarded thread_local was ~12 instructions
// each.
std::size_t assign_this_thread_shard();
inline thread_local std::size_t this_thread_shard_plus_one = 0;  // 0: not assigned yet
inline std::size_t this_thread_shard() {
    const auto shard_plus_one = this_thread_shard_plus_one;
    return shard_plus_one != 0 ? shard_plus_one - 1 : assign_this_thread_shard();
}

struct alignas(64) CounterShard {
    std::atomic<std::uint64_t> value{0};
};
struct alignas(64) DoubleShard {
    std::atomic<double> value{0};
};
}  // namespace detail

class Counter {
public:
    void add(std::uint64_t amount = 1) {
        shards_[detail::this_thread_shard()].value.fetch_add(amount, std::memory_order_relaxed);
    }
    std::uint64_t value() const;

private:
    std::array<detail::CounterShard, detail::metric_shards> shards_{};
};

class Gauge {
public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Cumulative buckets as Prometheus expects; `upper_bounds` ascending (+Inf is implicit).
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double value);

    struct Totals {
        std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
        std::uint64_t count = 0;
        double sum = 0;
    };
    Totals totals() const;
    const std::vector<double>& upper_bounds() const { return upper_bounds_; }

private:
    std::vector<double> upper_bounds_;
    std::vector<Counter> buckets_;  // per bound, then +Inf; not cumulative
    std::array<detail::DoubleShard, detail::metric_shards> sums_{};
};

// Bounds for latencies in seconds: 100 µs .. 10 s.
std::vector<double> latency_buckets_s();

// Owns every metric of a process. References returned by counter()/gauge()/histogram() stay
// valid for the registry's lifetime; asking again with the same name and labels returns the
// same metric, so components may look metrics up once at start and keep the reference.
class Registry {
public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; a bad name,
    // or one name used with two kinds, is a programming error: std::invalid_argument.
    Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
    Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> upper_bounds,
                         const Labels& labels = {});
    // A gauge computed when /metrics is read (connections open, cache size, ...).
    void gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> read);

    // Prometheus text exposition format 0.0.4.
    std::string render_prometheus() const;

private:
    struct Family;
    Family& family(std::string_view name, std::string_view help, int kind);

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace udn::runtime
