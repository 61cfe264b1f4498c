// Metric storage and Prometheus text rendering; see metrics.hpp.
#include "common/runtime/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace udn::runtime {
namespace detail {

std::size_t assign_this_thread_shard() {
    static std::atomic<std::size_t> next{0};
    const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % metric_shards;
    this_thread_shard_plus_one = shard + 1;
    return shard;
}

}  // namespace detail

std::uint64_t Counter::value() const {
    std::uint64_t total = 0;
    for (const auto& shard : shards_) total += shard.value.load(std::memory_order_relaxed);
    return total;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), buckets_(upper_bounds_.size() + 1) {
    if (!std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()) ||
        std::adjacent_find(upper_bounds_.begin(), upper_bounds_.end()) != upper_bounds_.end()) {
        throw std::invalid_argument("histogram bounds must be strictly ascending");
    }
}

void Histogram::observe(double value) {
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
    buckets_[bucket].add();
    sums_[detail::this_thread_shard()].value.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Totals Histogram::totals() const {
    Totals totals;
    std::uint64_t running = 0;
    for (const auto& bucket : buckets_) {
        running += bucket.value();
        totals.cumulative_counts.push_back(running);
    }
    totals.count = running;
    for (const auto& shard : sums_) totals.sum += shard.value.load(std::memory_order_relaxed);
    return totals;
}

std::vector<double> latency_buckets_s() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace {

enum Kind { counter_kind, gauge_kind, histogram_kind };
constexpr std::string_view kind_names[] = {"counter", "gauge", "histogram"};

bool valid_name(std::string_view name, bool allow_colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

std::string escape(std::string_view text, bool quote_too) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote_too) out += "\\\"";
        else out += c;
    }
    return out;
}

// Labels rendered as {a="x",b="y"}, with an optional extra label (histogram "le").
std::string render_labels(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (labels.empty() && extra_name.empty()) return {};
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += fmt::format("{}=\"{}\"", name, escape(value, true));
    }
    if (!extra_name.empty()) {
        if (out.size() > 1) out += ',';
        out += fmt::format("{}=\"{}\"", extra_name, extra_value);
    }
    return out + "}";
}

std::string render_number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

}  // namespace

struct Registry::Family {
    std::string help;
    Kind kind;
    using Metric = std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
                                std::function<double()>>;
    std::map<Labels, Metric> metrics;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, int kind) {
    if (!valid_name(name, true)) throw std::invalid_argument(fmt::format("bad metric name '{}'", name));
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string{name}, std::make_unique<Family>(Family{std::string{help}, Kind(kind), {}})).first;
    } else if (it->second->kind != kind) {
        throw std::invalid_argument(fmt::format("metric '{}' is already registered as a {}", name,
                                                kind_names[it->second->kind]));
    }
    return *it->second;
}

namespace {

void check_labels(std::string_view metric, const Labels& labels) {
    for (const auto& [name, value] : labels) {
        if (!valid_name(name, false) || name == "le") {
            throw std::invalid_argument(fmt::format("bad label name '{}' on metric '{}'", name, metric));
        }
    }
}

}  // namespace

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
    check_labels(name, labels);
    const std::lock_guard lock(mutex_);
    auto& slot = family(name, help, counter_kind).metrics[labels];
    auto* existing = std::get_if<std::unique_ptr<Counter>>(&slot);
    if (existing == nullptr || *existing == nullptr) slot = std::make_unique<Counter>();
    return *std::get<std::unique_ptr<Counter>>(slot);
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    check_labels(name, labels);
    const std::lock_guard lock(mutex_);
    auto& slot = family(name, help, gauge_kind).metrics[labels];
    auto* existing = std::get_if<std::unique_ptr<Gauge>>(&slot);
    if (existing == nullptr || *existing == nullptr) slot = std::make_unique<Gauge>();
    return *std::get<std::unique_ptr<Gauge>>(slot);
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::vector<double> upper_bounds,
                               const Labels& labels) {
    check_labels(name, labels);
    const std::lock_guard lock(mutex_);
    auto& slot = family(name, help, histogram_kind).metrics[labels];
    auto* existing = std::get_if<std::unique_ptr<Histogram>>(&slot);
    if (existing == nullptr || *existing == nullptr) {
        slot = std::make_unique<Histogram>(std::move(upper_bounds));
    }
    return *std::get<std::unique_ptr<Histogram>>(slot);
}

void Registry::gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                              std::function<double()> read) {
    check_labels(name, labels);
    const std::lock_guard lock(mutex_);
    family(name, help, gauge_kind).metrics[labels] = std::move(read);
}

std::string Registry::render_prometheus() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, family] : families_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(family->help, false), name,
                           kind_names[family->kind]);
        for (const auto& [labels, metric] : family->metrics) {
            if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&metric)) {
                out += fmt::format("{}{} {}\n", name, render_labels(labels), (*counter)->value());
            } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&metric)) {
                out += fmt::format("{}{} {}\n", name, render_labels(labels), render_number((*gauge)->value()));
            } else if (const auto* read = std::get_if<std::function<double()>>(&metric)) {
                out += fmt::format("{}{} {}\n", name, render_labels(labels), render_number((*read)()));
            } else {
                const auto& histogram = *std::get<std::unique_ptr<Histogram>>(metric);
                const auto totals = histogram.totals();
                const auto& bounds = histogram.upper_bounds();
                for (std::size_t i = 0; i < totals.cumulative_counts.size(); ++i) {
                    const auto le = i < bounds.size() ? render_number(bounds[i]) : std::string{"+Inf"};
                    out += fmt::format("{}_bucket{} {}\n", name, render_labels(labels, "le", le),
                                       totals.cumulative_counts[i]);
                }
                out += fmt::format("{}_sum{} {}\n", name, render_labels(labels), render_number(totals.sum));
                out += fmt::format("{}_count{} {}\n", name, render_labels(labels), totals.count);
            }
        }
    }
    return out;
}

}  // namespace udn::runtime
