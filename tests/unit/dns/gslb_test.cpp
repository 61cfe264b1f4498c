// GSLB decisions with injected probe data: load, the latency rule, failover, backups, weights,
// persistence, static mappings, staleness, coverage fallback, ECS scope, explanations. Every
// decision test runs twice: straight through decide(), and through a worker's RankingCache.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "dns/gslb/engine.hpp"
#include "dns/gslb/pop_slots.hpp"
#include "dns/gslb/ranking_cache.hpp"
#include "test_config.hpp"

namespace udn::dns::gslb {
namespace {

using testing::ip;
constexpr std::int64_t now_ms = 10'000'000;

class Decisions : public ::testing::TestWithParam<bool> {
protected:
    Decisions() : latency_(8, 1024), persistence_(1024) {
        config_ = testing::make_config();
        rebuild();
    }

    void rebuild() {
        std::vector<std::string> errors;
        table_ = DomainTable::build(config_, errors);
        ++rebuilds_;
        ASSERT_TRUE(table_) << errors.front();
    }

    bool cached() const { return GetParam(); }
    // Changes exactly when the configuration or the published observation view does.
    std::uint64_t epoch() const { return (rebuilds_ << 32) + store_.snapshot().generation(); }

    std::vector<std::string> choose(std::string_view name, const Client& client, Explanation* explanation = nullptr,
                                    net::IpAddress::Family family = net::IpAddress::Family::v4) {
        const auto index = static_cast<std::size_t>(table_->find(name));
        store_.publish();
        const EngineInputs inputs{&config_, store_.snapshot().get().get(), &latency_, &persistence_, &queue_, now_};
        const auto decision =
            cached() && explanation == nullptr
                ? cache_.decide(table_->domain(index), index, family, client, inputs, random_, epoch())
                : decide(table_->domain(index), family, client, inputs, random_, explanation);
        last_ = decision;
        std::vector<std::string> out;
        for (std::size_t i = 0; i < decision.count; ++i) out.push_back(decision.addresses[i]->to_string());
        return out;
    }

    std::string first(std::string_view name, std::string_view client = "198.51.100.7") {
        const auto answers = choose(name, {ip(client), 32, false});
        return answers.empty() ? "" : answers.front();
    }

    void check(const std::string& key, bool up, double loss = 0, double rtt_ms = 10, std::string pop = "eu",
               std::int64_t at_ms = now_ms - 100) {
        store_.record_check(key, {std::move(pop), up, loss, rtt_ms, at_ms});
    }

    void domain_policy(std::size_t index, auto&& change) {
        change(config_.customers[0].domains[index].policy);
        rebuild();
    }

    config::Config config_;
    std::shared_ptr<const DomainTable> table_;
    ObservationStore store_;
    LatencyTable latency_;
    PersistenceTable persistence_;
    MeasurementQueue queue_;
    RandomState random_;
    RankingCache cache_{64, 1};
    std::uint64_t rebuilds_ = 0;
    Decision last_;
    std::int64_t now_ = now_ms;
};

TEST_P(Decisions, LowestLoadWins) {
    store_.record_load(origin_key("acme", "m1"), 0.8, now_ms - 10);
    store_.record_load(origin_key("acme", "m2"), 0.2, now_ms - 10);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    store_.record_load(origin_key("acme", "m1"), 0.1, now_ms - 5);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
}

TEST_P(Decisions, LatencyRuleAddsProbeToServerAndProbeToClient) {
    // Client 198.51.100.0/24: 5 ms from the eu probe, 80 ms from the us probe.
    const auto client = client_prefix_key(ip("198.51.100.7"));
    latency_.record(client, 0, 5, now_ms / 1000);
    latency_.record(client, 1, 80, now_ms / 1000);
    // m1 is 100 ms from eu but 2 ms from us (82 via us); m2 is 30 ms from eu (35 via eu).
    check(origin_key("acme", "m1"), true, 0, 100, "eu");
    check(origin_key("acme", "m1"), true, 0, 2, "us");
    check(origin_key("acme", "m2"), true, 0, 30, "eu");
    check(origin_key("acme", "m2"), true, 0, 90, "us");
    Explanation explanation;
    EXPECT_EQ(choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation).front(), "192.0.2.2");
    EXPECT_DOUBLE_EQ(explanation.candidates[0].latency_ms, 82);
    EXPECT_EQ(explanation.candidates[0].latency_via, "us");
    EXPECT_DOUBLE_EQ(explanation.candidates[1].latency_ms, 35);
    EXPECT_NE(explanation.to_text().find("CHOSEN"), std::string::npos);
    // Static names: the cache in the client's nearest POP wins (0 ms from its own probe).
    EXPECT_EQ(first("acme.cdn.example"), "127.0.1.2");
}

TEST_P(Decisions, SeveralProbesInOnePopAreSeveralViewpoints) {
    // Three probe servers in eu: two see m1 down, the last to report sees it up. Each is a vote
    // (the latest report of one POP used to stand for all of them).
    const auto m1 = origin_key("acme", "m1");
    store_.record_check(m1, {"eu", false, 0, 10, now_ms - 300, 0, true, "eu-probe1"});
    store_.record_check(m1, {"eu", false, 0, 10, now_ms - 200, 0, true, "eu-probe2"});
    store_.record_check(m1, {"eu", true, 0, 10, now_ms - 100, 0, true, "eu-probe3"});
    check(origin_key("acme", "m2"), true);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example", "203.0.113." + std::to_string(i)), "192.0.2.2");
    // The same probe reporting again replaces its own sample only.
    store_.record_check(m1, {"eu", true, 0, 10, now_ms - 50, 0, true, "eu-probe1"});
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_EQ(explanation.candidates[0].health, "up");
    EXPECT_EQ(store_.snapshot().get()->find(m1)->samples.size(), 3u);
}

TEST_P(Decisions, ThePathFromAPopWithSeveralProbesIsTheirMean) {
    const auto client = client_prefix_key(ip("198.51.100.7"));
    latency_.record(client, 0, 5, now_ms / 1000);
    const auto m1 = origin_key("acme", "m1");
    store_.record_check(m1, {"eu", true, 0.1, 10, now_ms - 100, 20, true, "eu-probe1"});
    store_.record_check(m1, {"eu", true, 0.3, 30, now_ms - 100, 20, true, "eu-probe2"});
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_DOUBLE_EQ(explanation.candidates[0].latency_ms, 5 + 20);
    EXPECT_NEAR(explanation.candidates[0].loss, 0.2, 1e-9);
}

TEST_P(Decisions, DeadServersAreNeverReturned) {
    check(origin_key("acme", "m1"), false);
    check(origin_key("acme", "m2"), true);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(first("www.acme.example", "203.0.113." + std::to_string(i % 250)), "192.0.2.2");
    domain_policy(0, [](auto& p) { p.answers = 3; });
    const auto all = choose("www.acme.example", {ip("203.0.113.1"), 32, false});
    EXPECT_EQ(all, std::vector<std::string>{"192.0.2.2"});  // neither the dead one nor the backup
}

TEST_P(Decisions, BackupsOnlyWhenPrimariesAreDown) {
    check(origin_key("acme", "m3"), true);
    for (int i = 0; i < 100; ++i) EXPECT_NE(first("www.acme.example"), "192.0.2.3");
    check(origin_key("acme", "m1"), false);
    check(origin_key("acme", "m2"), false);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.3");
}

TEST_P(Decisions, WhenEverythingIsDown) {
    for (const char* name : {"m1", "m2", "m3"}) check(origin_key("acme", name), false);
    domain_policy(0, [](auto& p) { p.when_all_down = config::AllDownPolicy::servfail; });
    choose("www.acme.example", {ip("203.0.113.1"), 32, false});
    EXPECT_EQ(last_.outcome, Decision::Outcome::servfail);
    domain_policy(0, [](auto& p) { p.when_all_down = config::AllDownPolicy::return_backups; });
    EXPECT_EQ(first("www.acme.example"), "192.0.2.3");
    domain_policy(0, [](auto& p) {
        p.when_all_down = config::AllDownPolicy::return_all;
        p.answers = 3;
    });
    EXPECT_EQ(choose("www.acme.example", {ip("203.0.113.1"), 32, false}).size(), 3u);
}

TEST_P(Decisions, WeightsHoldWithinFivePercentOver10000Queries) {
    config_.customers[0].origins[0].weight = 100;
    config_.customers[0].origins[1].weight = 300;
    rebuild();
    std::map<std::string, int> counts;
    for (int i = 0; i < 10000; ++i) ++counts[first("www.acme.example", "203.0.113.1")];
    EXPECT_NEAR(counts["192.0.2.1"] / 10000.0, 0.25, 0.05 * 0.25);
    EXPECT_NEAR(counts["192.0.2.2"] / 10000.0, 0.75, 0.05 * 0.75);
}

TEST_P(Decisions, PersistenceSurvivesAReloadThatKeepsTheServer) {
    domain_policy(0, [](auto& p) { p.persistence_s = 300; });
    store_.record_load(origin_key("acme", "m1"), 0.1, now_ms - 10);
    store_.record_load(origin_key("acme", "m2"), 0.9, now_ms - 10);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
    store_.record_load(origin_key("acme", "m1"), 0.9, now_ms - 5);
    store_.record_load(origin_key("acme", "m2"), 0.1, now_ms - 5);
    // A push that reorders the name's origins (every candidate moves in the snapshot) and adds a
    // name before it: the client stays on m1, as it would without the reload.
    auto& domains = config_.customers[0].domains;
    std::reverse(domains[0].origins.begin(), domains[0].origins.end());
    auto added = domains[0];
    added.name = "new.acme.example";
    domains.insert(domains.begin(), added);
    rebuild();
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
    EXPECT_EQ(first("www.acme.example", "198.51.101.1"), "192.0.2.2");  // a new client follows load
    // A push that takes m1 off the name moves the client, and the new choice persists.
    auto& www = domains[1];
    www.origins.erase(std::find(www.origins.begin(), www.origins.end(), "m1"));
    rebuild();
    EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    www.origins.push_back("m1");
    rebuild();
    store_.record_load(origin_key("acme", "m1"), 0.1, now_ms - 1);
    store_.record_load(origin_key("acme", "m2"), 0.9, now_ms - 1);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    EXPECT_EQ(first("www.acme.example", "198.51.102.1"), "192.0.2.1");
}

TEST_P(Decisions, PersistenceSurvivesLoadChangesButNotFailure) {
    domain_policy(0, [](auto& p) { p.persistence_s = 300; });
    store_.record_load(origin_key("acme", "m1"), 0.1, now_ms - 10);
    store_.record_load(origin_key("acme", "m2"), 0.9, now_ms - 10);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
    store_.record_load(origin_key("acme", "m1"), 0.9, now_ms - 5);
    store_.record_load(origin_key("acme", "m2"), 0.1, now_ms - 5);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");  // kept despite the load change
    EXPECT_EQ(first("www.acme.example", "198.51.101.1"), "192.0.2.2");  // another client follows load
    check(origin_key("acme", "m1"), false);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.2");  // failure breaks persistence
    check(origin_key("acme", "m1"), true, 0, 10, "eu", now_ms - 1);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.2");  // and the new choice persists
    now_ += 301'000;
    store_.record_load(origin_key("acme", "m1"), 0.1, now_ - 5);
    store_.record_load(origin_key("acme", "m2"), 0.9, now_ - 5);
    check(origin_key("acme", "m1"), true, 0, 10, "eu", now_ - 1);
    EXPECT_EQ(first("www.acme.example"), "192.0.2.1");  // window over
}

TEST_P(Decisions, StaticMappingsOverride) {
    domain_policy(0, [](auto& p) { p.static_mappings.push_back({*net::Cidr::parse("203.0.113.0/24"), {"m2"}}); });
    store_.record_load(origin_key("acme", "m1"), 0.0, now_ms - 10);
    store_.record_load(origin_key("acme", "m2"), 1.0, now_ms - 10);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(first("www.acme.example", "203.0.113.9"), "192.0.2.2");
    EXPECT_EQ(first("www.acme.example", "198.51.100.9"), "192.0.2.1");
    check(origin_key("acme", "m2"), false);
    EXPECT_EQ(first("www.acme.example", "203.0.113.9"), "192.0.2.1");  // mapped server down: normal decision
}

TEST_P(Decisions, StaleDataIsIgnored) {
    const auto stale_ms = now_ms - config_.probe.staleness_ms - 1;
    check(origin_key("acme", "m1"), false, 0, 10, "eu", stale_ms);  // an old "down" does not count
    store_.record_load(origin_key("acme", "m2"), 1.0, stale_ms);    // nor an old high load
    store_.record_load(origin_key("acme", "m1"), 0.4, now_ms - 10);
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_EQ(explanation.candidates[0].health, "unknown");
    EXPECT_TRUE(explanation.candidates[0].eligible);
    EXPECT_LT(explanation.candidates[1].load, 0);
    // Stale client latency is not used either: the coverage fallback applies and a measurement is asked for.
    const auto client = client_prefix_key(ip("10.1.2.3"));
    latency_.record(client, 0, 1, static_cast<std::uint32_t>(now_ms / 1000 - config_.probe.latency_staleness_s - 5));
    latency_.record(client, 1, 500, static_cast<std::uint32_t>(now_ms / 1000 - config_.probe.latency_staleness_s - 5));
    EXPECT_EQ(first("acme.cdn.example", "10.1.2.3"), "127.0.2.2");  // coverage 10/8 -> us
    std::vector<net::IpAddress> asked;
    queue_.drain(asked);
    EXPECT_NE(std::find(asked.begin(), asked.end(), ip("10.1.2.3")), asked.end());
}

TEST_P(Decisions, EcsScope) {
    choose("www.acme.example", {ip("198.51.100.0"), 24, true});
    EXPECT_EQ(last_.scope_prefix_length, 24);
    choose("www.acme.example", {ip("198.51.0.0"), 16, true});
    EXPECT_EQ(last_.scope_prefix_length, 16);
    choose("www.acme.example", {ip("198.51.100.7"), 32, true});
    EXPECT_EQ(last_.scope_prefix_length, 24);
    choose("www.acme.example", {ip("2001:db8::"), 56, true}, nullptr, net::IpAddress::Family::v6);
    EXPECT_EQ(last_.scope_prefix_length, 48);
    choose("www.acme.example", {ip("198.51.100.7"), 32, false});
    EXPECT_EQ(last_.scope_prefix_length, 0);
}

TEST_P(Decisions, AnswersCountAndFamily) {
    domain_policy(0, [](auto& p) { p.answers = 2; });
    EXPECT_EQ(choose("www.acme.example", {ip("198.51.100.7"), 32, false}).size(), 2u);
    EXPECT_TRUE(choose("www.acme.example", {ip("198.51.100.7"), 32, false}, nullptr, net::IpAddress::Family::v6).empty());
    const auto v6 = choose("acme.cdn.example", {ip("198.51.100.7"), 32, false}, nullptr, net::IpAddress::Family::v6);
    ASSERT_EQ(v6.size(), 1u);
    EXPECT_EQ(v6.front().substr(0, 6), "fd00::");
}

TEST_P(Decisions, AStaleDownReportStopsCountingWithoutNewReports) {
    check(origin_key("acme", "m1"), false, 0, 10, "eu", now_ms - 100);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    now_ = now_ms - 100 + static_cast<std::int64_t>(config_.probe.staleness_ms) + 1;  // nothing new arrives
    std::map<std::string, int> counts;
    for (int i = 0; i < 200; ++i) ++counts[first("www.acme.example")];
    EXPECT_GT(counts["192.0.2.1"], 50);  // health unknown again: back in the weighted split
}

TEST_P(Decisions, LatencyArrivingForABucketChangesItsAnswer) {
    std::map<std::string, int> before;
    for (int i = 0; i < 300; ++i) ++before[first("acme.cdn.example", "198.51.100.7")];
    EXPECT_GE(before.size(), 3u);  // nothing measured: the POPs' caches (and the origin) share the load
    const auto client = client_prefix_key(ip("198.51.100.99"));  // same /24
    latency_.record(client, 0, 5, now_ms / 1000);
    latency_.record(client, 1, 80, now_ms / 1000);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("acme.cdn.example", "198.51.100.7"), "127.0.1.2");
}

// Client 198.51.100.0/24 is 5 ms from both the eu and the us probe; m1 is 10 ms from eu (and
// far from us), m2 10 ms from us (and far from eu): both paths are 15 ms, loads equal.
class LossDecisions : public Decisions {
protected:
    void equal_paths(std::uint16_t client_loss_eu, std::uint16_t client_loss_us, double m1_loss, double m2_loss) {
        const auto client = client_prefix_key(ip("198.51.100.7"));
        latency_.record(client, 0, 5, now_ms / 1000, client_loss_eu);
        latency_.record(client, 1, 5, now_ms / 1000, client_loss_us);
        measured(origin_key("acme", "m1"), m1_loss, 10, "eu");
        measured(origin_key("acme", "m1"), m1_loss, 100, "us");
        measured(origin_key("acme", "m2"), m2_loss, 100, "eu");
        measured(origin_key("acme", "m2"), m2_loss, 10, "us");
        store_.record_load(origin_key("acme", "m1"), 0.2, now_ms - 10);
        store_.record_load(origin_key("acme", "m2"), 0.2, now_ms - 10);
    }
    // A version-2 report: loss over a 20-check window.
    void measured(const std::string& key, double loss, double rtt_ms, std::string pop, std::int64_t at_ms = now_ms - 100) {
        store_.record_check(key, {std::move(pop), true, loss, rtt_ms, at_ms, 20});
    }
};

TEST(PathLoss, CombinesBothLegs) {
    EXPECT_DOUBLE_EQ(path_loss(0, 0), 0);
    EXPECT_DOUBLE_EQ(path_loss(0.1, 0.2), 1 - 0.9 * 0.8);
    EXPECT_DOUBLE_EQ(path_loss(0.5, 0), 0.5);
    EXPECT_DOUBLE_EQ(path_loss(0.25, -1), 0.25) << "an unmeasured leg adds nothing";
    EXPECT_DOUBLE_EQ(path_loss(1, 0.3), 1);
    EXPECT_DOUBLE_EQ(path_loss(2, -5), 1) << "clamped";
}

TEST_P(LossDecisions, WithEqualLatencyAndLoadTheLowerLossPathWins) {
    equal_paths(500, 0, 0, 0);  // the client drops half of the eu probe's packets
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_DOUBLE_EQ(explanation.candidates[0].latency_ms, explanation.candidates[1].latency_ms);
    EXPECT_DOUBLE_EQ(explanation.candidates[0].loss, 0.5);
    EXPECT_EQ(explanation.candidates[0].loss_via, "eu: srv 0.00 cli 0.50");
    EXPECT_DOUBLE_EQ(explanation.candidates[1].loss, 0);
    EXPECT_EQ(explanation.candidates[1].loss_via, "us: srv 0.00 cli 0.00");
    EXPECT_NE(explanation.to_text().find("eu: srv 0.00 cli 0.50"), std::string::npos) << explanation.to_text();
}

TEST_P(LossDecisions, ServerLossCountsOnThePathToo) {
    equal_paths(0, 100, 0.2, 0);  // us: client 10 % lossy, m2 clean; eu: client clean, m1 20 % lossy
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");  // 0.10 < 0.20
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_NEAR(explanation.candidates[0].loss, 0.2, 1e-9);
    EXPECT_NEAR(explanation.candidates[1].loss, 0.1, 1e-9);
}

TEST_P(LossDecisions, LossAboveTheWeightsBreakEvenLosesToASlowerServer) {
    // m1 15 ms via eu, m2 30 ms via us: latency terms 0.5 and 1.0. With weight_loss 2, m1 keeps
    // winning while 2 * its loss < 0.5, i.e. up to 25 % loss.
    const auto client = client_prefix_key(ip("198.51.100.7"));
    latency_.record(client, 0, 5, now_ms / 1000, 0);
    latency_.record(client, 1, 20, now_ms / 1000, 0);
    domain_policy(0, [](auto& p) { p.weight_loss = 2; });
    measured(origin_key("acme", "m2"), 0, 10, "us");
    measured(origin_key("acme", "m1"), 0.2, 10, "eu");
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
    measured(origin_key("acme", "m1"), 0.4, 10, "eu", now_ms - 50);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    // With loss weighted at 1 the same 40 % loss is worth less than the 15 ms.
    domain_policy(0, [](auto& p) { p.weight_loss = 1; });
    for (int i = 0; i < 50; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.1");
}

TEST_P(LossDecisions, StaleLossIsIgnoredLikeStaleLatency) {
    const auto stale_s = static_cast<std::uint32_t>(now_ms / 1000 - config_.probe.latency_staleness_s - 5);
    const auto client = client_prefix_key(ip("198.51.100.7"));
    latency_.record(client, 0, 5, stale_s, 1000);  // stale: neither its latency nor its loss count
    measured(origin_key("acme", "m1"), 0.9, 10, "eu", now_ms - config_.probe.staleness_ms - 1);  // stale
    measured(origin_key("acme", "m1"), 0.1, 10, "us");
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_LT(explanation.candidates[0].latency_ms, 0);
    EXPECT_DOUBLE_EQ(explanation.candidates[0].loss, 0.1) << "the fresh probe's server loss only";
    EXPECT_EQ(explanation.candidates[0].loss_via, "srv mean of 1 probes");
}

TEST_P(LossDecisions, Version1ReportsAndResultsStillScore) {
    // A v1 probe: no loss window (loss_checks 0, the old timeout estimate) and no client loss.
    const auto client = client_prefix_key(ip("198.51.100.7"));
    latency_.record(client, 0, 5, now_ms / 1000);
    check(origin_key("acme", "m1"), true, 1.0, 10, "eu");
    measured(origin_key("acme", "m2"), 0, 10, "eu");
    for (int i = 0; i < 20; ++i) EXPECT_EQ(first("www.acme.example"), "192.0.2.2");
    Explanation explanation;
    choose("www.acme.example", {ip("198.51.100.7"), 32, false}, &explanation);
    EXPECT_EQ(explanation.candidates[0].loss_via, "eu: srv~1.00 cli -");
    EXPECT_DOUBLE_EQ(explanation.candidates[0].loss, 1);
}

INSTANTIATE_TEST_SUITE_P(DirectAndCached, LossDecisions, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "cached" : "direct"; });

INSTANTIATE_TEST_SUITE_P(DirectAndCached, Decisions, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "cached" : "direct"; });

TEST(RankingCache, OneRankingPerBucketUntilAnInputChanges) {
    auto config = testing::make_config();
    std::vector<std::string> errors;
    const auto table = DomainTable::build(config, errors);
    ASSERT_TRUE(table);
    ObservationStore store;
    LatencyTable latency(8, 1024);
    RankingCache cache(64, 7);
    RandomState random;
    const auto index = static_cast<std::size_t>(table->find("www.acme.example"));
    const auto ask = [&](std::string_view client, std::uint64_t epoch, std::int64_t now) {
        const EngineInputs inputs{&config, store.snapshot().get().get(), &latency, nullptr, nullptr, now};
        return cache.decide(table->domain(index), index, net::IpAddress::Family::v4, {ip(client), 32, false}, inputs,
                            random, epoch);
    };
    for (int i = 0; i < 100; ++i) ask("198.51.100." + std::to_string(i), 1, now_ms);
    EXPECT_EQ(cache.misses(), 1u);
    EXPECT_EQ(cache.hits(), 99u);
    ask("198.51.101.1", 1, now_ms);  // another bucket
    EXPECT_EQ(cache.misses(), 2u);
    ask("198.51.100.1", 2, now_ms);  // new snapshots
    EXPECT_EQ(cache.misses(), 3u);
    latency.record(client_prefix_key(ip("198.51.100.1")), 0, 5, now_ms / 1000);
    ask("198.51.100.1", 2, now_ms);  // the bucket's latency changed
    EXPECT_EQ(cache.misses(), 4u);
    ask("198.51.100.1", 2, now_ms + static_cast<std::int64_t>(config.probe.latency_staleness_s) * 1000 + 1000);
    EXPECT_EQ(cache.misses(), 5u);  // that latency went stale
    ask("198.51.100.1", 2, now_ms + static_cast<std::int64_t>(config.probe.latency_staleness_s) * 1000 + 1001);
    EXPECT_EQ(cache.misses(), 5u);
}

TEST(RankingCache, SmallStaticMappingsAreNeverCachedPerBucket) {
    auto config = testing::make_config();
    config.customers[0].domains[0].policy.static_mappings.push_back({*net::Cidr::parse("203.0.113.128/25"), {"m2"}});
    config.customers[0].domains[1].policy.static_mappings.push_back({*net::Cidr::parse("203.0.113.0/24"), {"eu"}});
    std::vector<std::string> errors;
    const auto table = DomainTable::build(config, errors);
    ASSERT_TRUE(table);
    EXPECT_FALSE(table->domain(0).rank_per_bucket);
    EXPECT_TRUE(table->domain(1).rank_per_bucket);
    config.coverage.push_back({});
    config.coverage.back().client = *net::Cidr::parse("10.1.2.0/26");
    config.coverage.back().pop = "us";
    EXPECT_FALSE(DomainTable::build(config, errors)->domain(1).rank_per_bucket);
}

TEST(LatencyTableMemory, ClearingAPopSlotForgetsOnlyThatPopAndMovesVersions) {
    LatencyTable table(2, 1 << 10);
    const auto key = client_prefix_key(ip("10.1.2.0"));
    const auto other = client_prefix_key(ip("10.9.9.0"));
    table.record(key, 0, 12, 100, 0);
    table.record(key, 1, 34, 100, 500);
    table.record(other, 1, 56, 100, 0);
    const auto version = table.version(key);
    table.clear_pop(1);
    EXPECT_NE(table.version(key), version);  // rankings derived from the old numbers are dropped
    std::uint32_t latency[2];
    std::uint32_t at[2];
    std::uint16_t loss[2];
    ASSERT_TRUE(table.lookup(key, latency, at, loss));
    EXPECT_EQ(latency[0], 12u);
    EXPECT_EQ(at[0], 100u);
    EXPECT_EQ(latency[1], UINT32_MAX);
    EXPECT_EQ(at[1], 0u);  // never fresh
    EXPECT_EQ(loss[1], loss_not_measured);
    ASSERT_TRUE(table.lookup(other, latency, at));
    EXPECT_EQ(latency[1], UINT32_MAX);
    table.clear_pop(7);  // beyond the slots: nothing to do
    table.record(key, 1, 78, 200);
    ASSERT_TRUE(table.lookup(key, latency, at));
    EXPECT_EQ(latency[1], 78u);
}

// A writer that took its slot from a snapshot older than the slot's last clear (a probe result
// ingested with the configuration before a reload) must not land in the cleared slot.
TEST(LatencyTableMemory, AWriteThroughAClaimOlderThanTheSlotsClearIsDropped) {
    LatencyTable table(2, 1 << 10);
    const auto key = client_prefix_key(ip("10.1.2.0"));
    const SlotClaim before{1, table.slot_epoch(1)};
    EXPECT_EQ(before.epoch, 0u) << "a new table's slots have not been cleared";
    ASSERT_TRUE(table.record(key, before, 40, 100, 0));
    table.clear_pop(1);
    const SlotClaim after{1, table.slot_epoch(1)};
    EXPECT_NE(after.epoch, before.epoch);
    EXPECT_EQ(table.slot_epoch(0), 0u) << "only the cleared slot moves";
    EXPECT_FALSE(table.record(key, before, 41, 101, 0));
    EXPECT_FALSE(table.adopt(key, before, 42, 102, 0));
    std::uint32_t latency[2];
    std::uint32_t at[2];
    EXPECT_FALSE(table.lookup(key, latency, at) && latency[1] != UINT32_MAX) << "nothing written";
    EXPECT_TRUE(table.record(key, SlotClaim{0, 0}, 12, 101, 0))
        << "the other slot takes its old claims";
    EXPECT_TRUE(table.record(key, after, 43, 103, 0));
    ASSERT_TRUE(table.lookup(key, latency, at));
    EXPECT_EQ(latency[1], 43u);
    EXPECT_EQ(latency[0], 12u);
    EXPECT_FALSE(table.record(key, SlotClaim{2, 0}, 1, 1, 0)) << "no such slot";
    EXPECT_EQ(table.slot_epoch(2), 0u);
}

TEST(LatencyTableMemory, ASlotMapClaimsBySnapshotPosition) {
    const std::vector<std::uint8_t> slot_of_pop{2, no_latency_slot, 0};
    const std::vector<std::uint32_t> epoch_of_slot{5, 6, 7};
    const SlotMap map{slot_of_pop, epoch_of_slot};
    EXPECT_EQ(map.claim(0).slot, 2u);
    EXPECT_EQ(map.claim(0).epoch, 7u);
    EXPECT_EQ(map.claim(1).slot, no_latency_slot);
    EXPECT_EQ(map.claim(2).slot, 0u);
    EXPECT_EQ(map.claim(2).epoch, 5u);
    EXPECT_EQ(map.claim(3).slot, no_latency_slot) << "a position the snapshot does not have";
    const SlotMap identity{};
    EXPECT_EQ(identity.claim(4).slot, 4u);
    EXPECT_EQ(identity.claim(4).epoch, 0u);
}

TEST(LatencyTableMemory, HoldsManyPrefixesInFixedMemory) {
    LatencyTable table(3, 1 << 12);
    for (std::uint32_t i = 0; i < 3000; ++i) {
        const auto key = client_prefix_key(net::IpAddress::v4({10, static_cast<std::uint8_t>(i >> 8),
                                                              static_cast<std::uint8_t>(i), 0}));
        table.record(key, i % 3, i % 400, 100);
    }
    std::uint32_t latency[3];
    std::uint32_t at[3];
    const auto key = client_prefix_key(ip("10.11.12.0"));  // i = 11*256+12 = 2828
    ASSERT_TRUE(table.lookup(key, latency, at));
    EXPECT_EQ(latency[2828 % 3], 2828u % 400);
    EXPECT_LE(table.memory_bytes(), (1u << 12) * (8 + 3 * 7) + 16384);  // key; latency, time, loss per POP
    EXPECT_GE(table.size(), 2950u);  // full 16-slot buckets evict their oldest entry: rare at 73 % load
    EXPECT_EQ(table.size() + table.evictions(), 3000u) << "each prefix either holds a slot or took one over";
    EXPECT_EQ(client_prefix_address(key).to_string(), "10.11.12.0");
}

TEST(LatencyTableMemory, CountsPrefixesOverwrittenForLackOfRoom) {
    LatencyTable table(2, 64);  // 4 buckets of 16
    const auto prefix = [](std::uint32_t i) {
        return client_prefix_key(net::IpAddress::v4({10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 0}));
    };
    for (std::uint32_t i = 0; i < 64; ++i) table.record(prefix(i), 0, 10, 100 + i);
    EXPECT_EQ(table.size() + table.evictions(), 64u) << "each new prefix took a free entry or another's";
    const auto size_before = table.size();
    const auto evicted_before = table.evictions();
    std::uint32_t latency[2];
    std::uint32_t at[2];
    for (std::uint32_t i = 0; i < 64; ++i) {
        if (table.lookup(prefix(i), latency, at)) table.record(prefix(i), 1, 20, 200 + i);  // held: its own entry
    }
    EXPECT_EQ(table.evictions(), evicted_before);
    for (std::uint32_t i = 64; i < 1064; ++i) table.record(prefix(i), 0, 10, 300 + i);
    EXPECT_EQ(table.size(), 64u) << "1,000 more prefixes fill every bucket";
    EXPECT_EQ(table.evictions(), evicted_before + 1000u - (64u - size_before)) << "every other new prefix overwrote one";
    // Prefixes whose newest measurement is stale are room, not losses.
    table.set_staleness_s(3600);
    const auto evicted = table.evictions();
    std::uint32_t now_s = 1363;
    for (std::uint32_t i = 2000; i < 2100; ++i) table.record(prefix(i), 0, 10, now_s += 3601);  // all before: stale
    EXPECT_EQ(table.evictions(), evicted);
    EXPECT_EQ(table.size(), 64u);
    ++now_s;
    for (std::uint32_t i = 3000; i < 3100; ++i) table.record(prefix(i), 0, 10, now_s);  // 100 fresh for 64 entries
    EXPECT_GE(table.evictions(), evicted + 36) << "but fresh ones overwritten are";
}

}  // namespace
}  // namespace udn::dns::gslb
