#include "probe/loadp/sampler.hpp"

#include <gtest/gtest.h>

namespace udn::probe::loadp {
namespace {

TEST(LoadSampler, CpuShareFromTwoProcStatSamples) {
    const auto before = parse_proc_stat("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
    const auto after = parse_proc_stat("cpu  400 0 200 1300 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
    ASSERT_TRUE(before && after);
    EXPECT_EQ(before->total, 1000u);
    EXPECT_EQ(before->busy, 200u);
    EXPECT_EQ(cpu_permille(*before, *after), 400) << "400 busy of 1000 ticks";
    EXPECT_EQ(cpu_permille(*after, *after), 0);
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3"));
    EXPECT_FALSE(parse_proc_stat("cpu  1 2"));
}

TEST(LoadSampler, MemoryAndSwapFromMeminfo) {
    const auto use = parse_meminfo(
        "MemTotal:       1000000 kB\nMemFree:   10 kB\nMemAvailable:    250000 kB\n"
        "SwapTotal:       200000 kB\nSwapFree:        150000 kB\n");
    ASSERT_TRUE(use);
    EXPECT_EQ(use->memory_permille, 750);
    EXPECT_EQ(use->swap_permille, 250);
    const auto no_swap = parse_meminfo("MemTotal: 100 kB\nMemAvailable: 100 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
    ASSERT_TRUE(no_swap);
    EXPECT_EQ(no_swap->memory_permille, 0);
    EXPECT_EQ(no_swap->swap_permille, 0);
    EXPECT_FALSE(parse_meminfo("MemTotal: 100 kB\n"));
}

TEST(LoadSampler, CountsEstablishedConnections) {
    const auto text =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
        "   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2\n"
        "   2: 0100007F:D2F0 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3\n"
        "   3: 0100007F:D2F2 0100007F:1F90 06 00000000:00000000 00:00000000 00000000     0        0 4\n";
    EXPECT_EQ(count_established(text), 2u);
    EXPECT_EQ(count_established(""), 0u);
}

TEST(LoadSampler, OverridesReplaceMeasurementsAndNameBadLines) {
    report::LoadSample sample{100, 200, 300, 400, 5};
    std::vector<std::string> errors;
    apply_overrides("# drain\ncpu = 950\ndisk=2000\nbogus = 1\nmemory = lots\nconnections = 77\n", sample, &errors);
    EXPECT_EQ(sample.cpu_permille, 950);
    EXPECT_EQ(sample.disk_permille, 1000) << "capped at 1000 permille";
    EXPECT_EQ(sample.memory_permille, 200);
    EXPECT_EQ(sample.swap_permille, 300);
    EXPECT_EQ(sample.connections, 77u);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("bogus"), std::string::npos);
}

TEST(LoadSampler, SamplesThisMachine) {
    Sampler sampler({"/"}, std::nullopt);
    const auto sample = sampler.sample();
    EXPECT_GT(sample.memory_permille, 0);
    EXPECT_LE(sample.memory_permille, 1000);
    EXPECT_GT(sample.disk_permille, 0);
}

}  // namespace
}  // namespace udn::probe::loadp
