// GET /load's numbers are real and well-formed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "origin/load_meter.hpp"

namespace udn::origin {
namespace {

TEST(OriginLoadMeter, ReportsCpuMemoryAndLoad) {
    LoadMeter meter;
    volatile double sink = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (std::chrono::steady_clock::now() < until) sink = sink + 1;  // burn CPU so cpu > 0
    const auto sample = meter.sample();
    EXPECT_GT(sample.cpu_fraction, 0.05);
    EXPECT_LT(sample.cpu_fraction, 64);
    EXPECT_GT(sample.rss_bytes, 1024u * 1024u);
    EXPECT_GE(sample.load_average_1m, 0);
}

TEST(OriginLoadMeter, JsonHasEveryField) {
    const auto json = nlohmann::json::parse(load_json("m1", {0.5, 1000, 1.25}, 3, 42));
    EXPECT_EQ(json["name"], "m1");
    EXPECT_EQ(json["cpu"], 0.5);
    EXPECT_EQ(json["mem_bytes"], 1000);
    EXPECT_EQ(json["load_1m"], 1.25);
    EXPECT_EQ(json["connections"], 3);
    EXPECT_EQ(json["requests"], 42);
}

}  // namespace
}  // namespace udn::origin
