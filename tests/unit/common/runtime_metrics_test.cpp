// Metrics registry: lock-free updates from many threads, Prometheus rendering, misuse errors.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/runtime/metrics.hpp"

namespace udn::runtime {
namespace {

TEST(RuntimeMetrics, CounterSumsUpdatesFromManyThreads) {
    Registry registry;
    auto& counter = registry.counter("udn_test_total", "test");
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&counter] {
            for (int i = 0; i < 10000; ++i) counter.add();
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(counter.value(), 80000u);
}

TEST(RuntimeMetrics, SameNameAndLabelsGiveTheSameMetric) {
    Registry registry;
    auto& a = registry.counter("udn_x_total", "x", {{"code", "200"}});
    auto& b = registry.counter("udn_x_total", "x", {{"code", "200"}});
    auto& c = registry.counter("udn_x_total", "x", {{"code", "404"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
}

TEST(RuntimeMetrics, RendersPrometheusText) {
    Registry registry;
    registry.counter("udn_requests_total", "Requests", {{"code", "200"}}).add(3);
    registry.gauge("udn_temperature", "Temp \\ with\nnewline").set(1.5);
    registry.gauge_callback("udn_live", "Live", {{"name", "q\"x"}}, [] { return 7.0; });
    auto& histogram = registry.histogram("udn_latency_seconds", "Latency", {0.3, 1});
    histogram.observe(0.25);
    histogram.observe(0.5);
    histogram.observe(4);
    const auto text = registry.render_prometheus();
    EXPECT_NE(text.find("# TYPE udn_requests_total counter\nudn_requests_total{code=\"200\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("# HELP udn_temperature Temp \\\\ with\\nnewline\n"), std::string::npos);
    EXPECT_NE(text.find("udn_temperature 1.5\n"), std::string::npos);
    EXPECT_NE(text.find("udn_live{name=\"q\\\"x\"} 7\n"), std::string::npos);
    EXPECT_NE(text.find("udn_latency_seconds_bucket{le=\"0.3\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("udn_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("udn_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("udn_latency_seconds_sum 4.75\n"), std::string::npos);
    EXPECT_NE(text.find("udn_latency_seconds_count 3\n"), std::string::npos);
}

TEST(RuntimeMetrics, HistogramBoundaryValueFallsInItsBucket) {
    Histogram histogram({1, 2});
    histogram.observe(1);
    const auto totals = histogram.totals();
    EXPECT_EQ(totals.cumulative_counts, (std::vector<std::uint64_t>{1, 1, 1}));
}

TEST(RuntimeMetrics, MisuseIsRejected) {
    Registry registry;
    registry.counter("udn_a_total", "a");
    EXPECT_THROW(registry.gauge("udn_a_total", "a"), std::invalid_argument);
    EXPECT_THROW(registry.counter("bad-name", "x"), std::invalid_argument);
    EXPECT_THROW(registry.counter("udn_b_total", "x", {{"1bad", "v"}}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("udn_h", "x", {2, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace udn::runtime
