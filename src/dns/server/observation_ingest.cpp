#include "dns/server/observation_ingest.hpp"

#include <algorithm>

#include "dns/gslb/candidates.hpp"
#include "dns/gslb/pop_slots.hpp"

namespace udn::dns::server {

bool ingest_service_report(const config::Config& config, const report::Header& header,
                           const report::ServiceReport& body, gslb::ObservationStore& store) {
    const auto* sender = config.find_server(header.sender);
    if (sender == nullptr) return false;
    const auto key = body.target == report::TargetKind::origin ? gslb::origin_key(body.customer, body.name)
                                                               : gslb::server_key(body.name);
    // The connect time is one network round trip; the total includes the server's work.
    const auto rtt_us = body.timing.connect_us != 0 ? body.timing.connect_us : body.timing.total_us;
    gslb::ProbeSample sample;
    sample.pop = sender->pop;
    sample.probe = sender->name;
    sample.up = body.state == report::ServiceState::up;
    if (body.loss_checks > 0) {
        sample.loss = std::min<std::uint16_t>(body.loss_permille, report::max_loss_permille) / 1000.0;
        sample.loss_checks = body.loss_checks;
    } else {
        sample.loss = body.result == report::CheckResult::timeout ? 1.0 : 0.0;
    }
    sample.rtt_ms = rtt_us / 1000.0;
    sample.rtt_measured = body.result != report::CheckResult::timeout;
    sample.measured_at_ms = static_cast<std::int64_t>(header.timestamp_ms);
    store.record_check(key, sample);
    if (body.has_load) {
        const auto worst = std::max({body.load.cpu_permille, body.load.memory_permille, body.load.disk_permille});
        store.record_load(key, worst / 1000.0, static_cast<std::int64_t>(header.timestamp_ms));
    }
    return true;
}

bool ingest_latency_result(const config::Config& config, const report::LatencyResult& body,
                           gslb::LatencyTable& latency, gslb::SlotMap slots) {
    std::size_t pop_index = config.pops.size();
    for (std::size_t i = 0; i < config.pops.size(); ++i) {
        if (config.pops[i].name == body.pop) pop_index = i;
    }
    if (pop_index == config.pops.size()) return false;
    // A POP without a slot (more POPs than the table has room for) is known but not recorded.
    const auto claim = slots.claim(pop_index);
    if (claim.slot >= latency.pop_count()) return true;
    for (const auto& measurement : body.measurements) {
        if (!measurement.reachable) continue;
        // False for all of them once a reload has given the slot to another POP.
        if (!latency.record(
                gslb::client_prefix_key(measurement.client), claim,
                (measurement.rtt_us + 999) / 1000,
                static_cast<std::uint32_t>(measurement.measured_at_ms / 1000),
                measurement.attempts > 0 ? measurement.loss_permille : gslb::loss_not_measured)) {
            break;
        }
    }
    return true;
}

}  // namespace udn::dns::server
