// Issue 4, the two-process tiers: the Cache-Status chain a memory front builds from its disk
// back's answer, the back's result in access-log words, --backend parsing, and when the front
// asks the back or the origins.
#include <gtest/gtest.h>

#include "cache/tiers/backend_health.hpp"
#include "cache/tiers/chain.hpp"

namespace udn::cache::tiers {
namespace {

TEST(TiersChain, TakesTheBacksOwnEntryAndKeepsEarlierOnes) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "text/plain"},
        {"Cache-Status", "OriginCache; hit"},
        {"Age", "3"},
        {"cache-status", "udn-eu-disk; fwd=miss; fwd-status=200; stored"},
    };
    EXPECT_EQ(take_own_entry(headers), "udn-eu-disk; fwd=miss; fwd-status=200; stored");
    ASSERT_EQ(headers.size(), 3u);
    EXPECT_EQ(headers[1].second, "OriginCache; hit");  // the origin's own entry stays with the response
    EXPECT_EQ(headers[2].first, "Age");
    EXPECT_EQ(take_own_entry(headers), "OriginCache; hit");
    EXPECT_EQ(take_own_entry(headers), "");
    EXPECT_EQ(headers.size(), 2u);
}

TEST(TiersChain, ResultOfEntryUsesTheAccessLogWords) {
    EXPECT_EQ(result_of_entry("udn-eu-disk; hit; ttl=30"), "HIT");
    EXPECT_EQ(result_of_entry("udn-eu-disk; hit; detail=stale-while-revalidate"), "STALE");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=miss; fwd-status=200; stored"), "MISS");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=miss; collapsed; fwd-status=200"), "COLLAPSED");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=stale; fwd-status=304"), "REVALIDATED");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=stale; detail=stale-if-error"), "STALE");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=method; fwd-status=200"), "PASS");
    EXPECT_EQ(result_of_entry("udn-eu-disk; fwd=miss; detail=origin-unreachable"), "ERROR");
    EXPECT_EQ(result_of_entry("udn-eu-disk"), "-");
    EXPECT_EQ(result_of_entry(""), "-");
    EXPECT_EQ(result_of_entry("x; fwd=uri-miss"), "-");
}

TEST(TiersChain, ViaNamesACacheOnlyByItsWholeName) {
    EXPECT_TRUE(tiers::via_names("1.1 udn-eu-mem", "udn-eu-mem"));
    EXPECT_TRUE(tiers::via_names("1.0 proxy.example, 1.1 udn-eu-mem (udn)", "udn-eu-mem"));
    EXPECT_FALSE(tiers::via_names("1.1 udn-eu-mem", "udn-eu"));
    EXPECT_FALSE(tiers::via_names("1.1 udn-eu", "udn-eu-mem"));
    EXPECT_FALSE(tiers::via_names("udn-eu-mem", "udn-eu-mem"));  // no protocol: not a Via member
    EXPECT_FALSE(tiers::via_names("", "udn-eu-mem"));
}

TEST(TiersChain, ParsesBackendAddresses) {
    std::string error;
    const auto v4 = parse_host_port("127.0.0.2:8081", error);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.2");
    EXPECT_EQ(v4->port, 8081);
    const auto v6 = parse_host_port("[::1]:9", error);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 9);
    for (const auto* bad : {"127.0.0.2", "127.0.0.2:", "127.0.0.2:0", "127.0.0.2:65536", "127.0.0.2:80x", "back.example:80",
                            "::1:80", "[::1]80", "[::1", ":80", ""}) {
        error.clear();
        EXPECT_FALSE(parse_host_port(bad, error)) << bad;
        EXPECT_NE(error.find('\''), std::string::npos) << bad << ": the error names the input";
    }
}

TEST(TiersBackendHealth, ADeadBackCostsOneMessagePerOutage) {
    using namespace std::chrono_literals;
    BackendHealth health("127.0.0.2:8081", 5000ms);
    const BackendHealth::Clock::time_point t0{};
    EXPECT_TRUE(health.usable(t0));
    EXPECT_FALSE(health.answered(t0));  // up and answering: nothing to say
    const auto down = health.failed("connect: Connection refused", t0);
    ASSERT_TRUE(down);
    EXPECT_NE(down->find("127.0.0.2:8081"), std::string::npos);
    EXPECT_NE(down->find("Connection refused"), std::string::npos);
    EXPECT_NE(down->find("origins directly"), std::string::npos);
    EXPECT_FALSE(health.usable(t0 + 4999ms));
    EXPECT_TRUE(health.usable(t0 + 5000ms));  // time to try the back again
    EXPECT_FALSE(health.failed("still refused", t0 + 5000ms));  // no second message for the same outage
    EXPECT_FALSE(health.usable(t0 + 9999ms));
    const auto up = health.answered(t0 + 10500ms);
    ASSERT_TRUE(up);
    EXPECT_NE(up->find("10.5 s"), std::string::npos);
    EXPECT_TRUE(health.usable(t0 + 10500ms));
    EXPECT_TRUE(health.failed("refused again", t0 + 20s));  // a new outage is reported again
}

}  // namespace
}  // namespace udn::cache::tiers
