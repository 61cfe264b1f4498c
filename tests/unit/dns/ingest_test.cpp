// Probe reports and latency results becoming GSLB inputs, and the query log line format.
#include <gtest/gtest.h>

#include "dns/gslb/candidates.hpp"
#include "dns/server/observation_ingest.hpp"
#include "dns/server/query_log.hpp"
#include "dns/server/serving_state.hpp"
#include "dns/wire/types.hpp"
#include "test_config.hpp"

namespace udn::dns::server {
namespace {

using testing::ip;

TEST(Ingest, ServiceReportBecomesHealthRttAndLoad) {
    const auto config = testing::make_config();
    gslb::ObservationStore store;
    report::Header header{"us-ns1", 1, 5000};
    report::ServiceReport body;
    body.target = report::TargetKind::origin;
    body.customer = "acme";
    body.name = "m1";
    body.state = report::ServiceState::down;
    body.timing.connect_us = 12'000;
    body.timing.total_us = 40'000;
    body.has_load = true;
    body.load.cpu_permille = 300;
    body.load.memory_permille = 700;
    ASSERT_TRUE(ingest_service_report(config, header, body, store));
    store.publish();
    const auto view = store.snapshot().get();
    const auto* observation = view->find(gslb::origin_key("acme", "m1"));
    ASSERT_NE(observation, nullptr);
    ASSERT_EQ(observation->samples.size(), 1u);
    EXPECT_EQ(observation->samples[0].pop, "us");
    EXPECT_FALSE(observation->samples[0].up);
    EXPECT_DOUBLE_EQ(observation->samples[0].rtt_ms, 12.0);
    EXPECT_DOUBLE_EQ(observation->load, 0.7);
    EXPECT_DOUBLE_EQ(observation->samples[0].loss, 0)
        << "a v1 report's check that did not time out";
    EXPECT_EQ(observation->samples[0].loss_checks, 0u);
    header.sender = "nobody";
    EXPECT_FALSE(ingest_service_report(config, header, body, store));
}

TEST(Ingest, ServiceReportLossIsTheWindowsElseTheOldTimeoutEstimate) {
    const auto config = testing::make_config();
    gslb::ObservationStore store;
    report::ServiceReport body;
    body.target = report::TargetKind::origin;
    body.customer = "acme";
    body.name = "m1";
    body.state = report::ServiceState::up;
    body.result = report::CheckResult::timeout;
    body.loss_permille = 150;
    body.loss_checks = 20;
    ASSERT_TRUE(ingest_service_report(config, {"us-ns1", 1, 5000}, body, store));
    body.loss_checks = 0;  // as decoded from a version-1 sender
    ASSERT_TRUE(ingest_service_report(config, {"eu-ns1", 2, 5000}, body, store));
    store.publish();
    const auto* observation = store.snapshot().get()->find(gslb::origin_key("acme", "m1"));
    ASSERT_NE(observation, nullptr);
    ASSERT_EQ(observation->samples.size(), 2u);
    for (const auto& sample : observation->samples) {
        if (sample.pop == "us") {
            EXPECT_DOUBLE_EQ(sample.loss, 0.15);
            EXPECT_EQ(sample.loss_checks, 20u);
        } else {
            EXPECT_DOUBLE_EQ(sample.loss, 1.0) << "v1: a timed-out check";
            EXPECT_EQ(sample.loss_checks, 0u);
        }
    }
}

TEST(Ingest, ATimedOutCheckKeepsThePreviousRoundTrip) {
    const auto config = testing::make_config();
    gslb::ObservationStore store;
    report::ServiceReport body;
    body.target = report::TargetKind::origin;
    body.customer = "acme";
    body.name = "m1";
    body.state = report::ServiceState::up;
    body.result = report::CheckResult::ok;
    body.timing.total_us = 2'000;
    ASSERT_TRUE(ingest_service_report(config, {"us-ns1", 1, 5000}, body, store));
    body.result = report::CheckResult::timeout;
    body.timing.total_us = 120'000;  // the timeout, not a round trip
    body.loss_permille = 500;
    body.loss_checks = 2;
    ASSERT_TRUE(ingest_service_report(config, {"us-ns1", 2, 5200}, body, store));
    store.publish();
    const auto& sample =
        store.snapshot().get()->find(gslb::origin_key("acme", "m1"))->samples.at(0);
    EXPECT_DOUBLE_EQ(sample.rtt_ms, 2.0);
    EXPECT_DOUBLE_EQ(sample.loss, 0.5) << "the timeout counts as loss instead";
    EXPECT_EQ(sample.measured_at_ms, 5200);
}

TEST(Ingest, LatencyResultFillsThePopSlot) {
    const auto config = testing::make_config();
    gslb::LatencyTable table(3, 256);
    report::LatencyResult result;
    result.pop = "ap";
    result.measurements.push_back(
        {ip("198.51.100.9"), true, report::LatencyMethod::dns_query, 12'345, 7'000'000, 4, 250});
    result.measurements.push_back(
        {ip("198.51.102.9"), true, report::LatencyMethod::dns_query, 2'000, 7'000'000, 3, 333});
    result.measurements.push_back(
        {ip("203.0.113.9"), true, report::LatencyMethod::dns_query, 1'000, 7'000'000});  // v1
    result.measurements.push_back(
        {ip("198.51.101.9"), false, report::LatencyMethod::none, 0, 7'000'000});
    ASSERT_TRUE(ingest_latency_result(config, result, table));
    std::uint32_t latency[3];
    std::uint32_t at[3];
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("198.51.100.1")), latency, at));
    EXPECT_EQ(latency[2], 13u);
    EXPECT_EQ(at[2], 7000u);
    EXPECT_EQ(latency[0], UINT32_MAX);
    std::uint16_t loss[3];
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("198.51.100.1")), latency, at, loss));
    EXPECT_EQ(loss[2], 252u) << "kept to 4 permille";
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("198.51.102.1")), latency, at, loss));
    EXPECT_EQ(loss[2], 332u);
    EXPECT_EQ(loss[0], gslb::loss_not_measured);
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("203.0.113.1")), latency, at, loss));
    EXPECT_EQ(loss[2], gslb::loss_not_measured) << "a v1 result measured no loss";
    EXPECT_FALSE(table.lookup(gslb::client_prefix_key(ip("198.51.101.1")), latency, at));
    result.pop = "nowhere";
    EXPECT_FALSE(ingest_latency_result(config, result, table));
}

// The probe link ingests each datagram with the serving snapshot it read first; a reload may
// meanwhile give a removed POP's slot to a new POP (no spare slot left) and clear it. The old
// POP's numbers must not then appear as the new POP's, nor may a handover taken with the old
// snapshot put them there.
TEST(Ingest, LatencyIngestedWithASnapshotFromBeforeTheSlotChangedHandsIsDropped) {
    auto config = std::make_shared<config::Config>(testing::make_config());  // eu, us, ap
    std::vector<std::string> errors;
    const auto built = ServingState::build(config, 1, errors);
    ASSERT_TRUE(built) << errors.front();
    gslb::PopSlots slots(config->pops.size());  // no spare slot
    gslb::LatencyTable table(config->pops.size(), 256);
    const auto before = with_latency_slots(built, slots, table);

    auto renamed = std::make_shared<config::Config>(*config);
    renamed->pops[2].name = "sa";  // ap is gone, sa is new: it takes ap's slot
    for (auto& server : renamed->pops[2].servers) server.pop = "sa";
    const auto rebuilt = ServingState::build(renamed, 2, errors);
    ASSERT_TRUE(rebuilt) << errors.front();
    const auto after = with_latency_slots(rebuilt, slots, table);
    ASSERT_EQ(after->latency_slots[2], before->latency_slots[2])
        << "the test needs the slot to change hands";

    report::LatencyResult result;
    result.pop = "ap";
    result.measurements.push_back(
        {ip("198.51.100.9"), true, report::LatencyMethod::dns_query, 80'000, 7'000'000, 4, 0});
    EXPECT_TRUE(ingest_latency_result(*before->config, result, table, before->latency_slot_map()))
        << "ap was a POP of that snapshot";
    const cluster::LatencyRecord handed{gslb::client_prefix_key(ip("198.51.101.9")),
                                        gslb::stable_identity("ap"), 7'000, 80, 0};
    EXPECT_FALSE(before->adopt_latency(table, handed, 7'001));

    std::uint32_t latency[3];
    std::uint32_t at[3];
    const auto none_for_sa = [&](const char* client) {
        return !table.lookup(gslb::client_prefix_key(ip(client)), after->latency_slots, latency,
                             at) ||
               latency[2] == UINT32_MAX;
    };
    EXPECT_TRUE(none_for_sa("198.51.100.1")) << "ap's measurement would be read as sa's";
    EXPECT_TRUE(none_for_sa("198.51.101.1"))
        << "ap's handed-over measurement would be read as sa's";

    result.pop = "sa";
    ASSERT_TRUE(ingest_latency_result(*after->config, result, table, after->latency_slot_map()));
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("198.51.100.1")), after->latency_slots,
                             latency, at));
    EXPECT_EQ(latency[2], 80u) << "the new snapshot writes";
    result.pop = "eu";
    result.measurements.front().rtt_us = 5'000;
    ASSERT_TRUE(ingest_latency_result(*before->config, result, table, before->latency_slot_map()));
    ASSERT_TRUE(table.lookup(gslb::client_prefix_key(ip("198.51.100.1")), after->latency_slots,
                             latency, at));
    EXPECT_EQ(latency[0], 5u) << "a POP that kept its slot still takes the old snapshot's results";
}

TEST(QueryLogLine, HasTheDocumentedFields) {
    const auto qname = *wire::Name::from_text("WWW.Acme.example");
    const auto answer = ip("192.0.2.10");
    const auto subnet = ip("198.51.100.0");
    QueryLogEntry entry;
    entry.time_ms = 1700000000123;
    entry.client = ip("192.0.2.1");
    entry.qname = &qname;
    entry.qtype = wire::rr_type::a;
    entry.rcode = wire::rcode::noerror;
    entry.answer = &answer;
    entry.pop = "eu-west";
    entry.client_subnet = &subnet;
    entry.source_prefix_length = 24;
    entry.scope_prefix_length = 24;
    EXPECT_EQ(format_query_log_line(entry, "eu-ns1"),
              "1700000000123\teu-ns1\t192.0.2.1\tudp\twww.acme.example\tA\tNOERROR\t192.0.2.10\teu-"
              "west\t198.51.100.0/24/24");
    entry.answer = nullptr;
    entry.pop = {};
    entry.client_subnet = nullptr;
    entry.transport = Transport::tcp;
    entry.rcode = wire::rcode::nxdomain;
    EXPECT_EQ(format_query_log_line(entry, "x"),
              "1700000000123\tx\t192.0.2.1\ttcp\twww.acme.example\tA\tNXDOMAIN\t-\t-\t-");
}

}  // namespace
}  // namespace udn::dns::server
