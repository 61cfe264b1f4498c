// Turns verified report-protocol messages into GSLB inputs: service reports become health,
// probe-to-server round-trip time and load of a candidate; latency results become
// probe-to-client latency per POP. Pure functions over the messages (no sockets) so that tests
// inject reports exactly as they arrive.
#pragma once
#include <cstdint>
#include <span>
#include "common/config/config.hpp"
#include "common/report/message.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/observations.hpp"

namespace udn::dns::server {

// False when the message is not for us or names an unknown sender/POP (counted by the caller).
bool ingest_service_report(const config::Config& config, const report::Header& header,
                           const report::ServiceReport& body, gslb::ObservationStore& store);
// `slots`: the latency-table slot of each POP by position and the slots' epochs, from the
// serving snapshot `config` came from (empty: slot p for position p, epoch 0). Measurements
// into a slot cleared since that snapshot was taken are dropped; the result still counts as ours.
bool ingest_latency_result(const config::Config& config, const report::LatencyResult& body,
                           gslb::LatencyTable& latency, gslb::SlotMap slots = {});

}  // namespace udn::dns::server
