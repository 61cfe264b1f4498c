// What the DNS role answers from, in two lifetimes: ServingState is rebuilt from each
// configuration snapshot (zones and compiled GSLB domains, swapped atomically on reload);
// SharedState lives as long as the process (probe observations, client latency,
// persistence, pending latency measurements) and survives reloads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/snapshot.hpp"
#include "dns/cluster/ring.hpp"
#include "dns/geo/locator.hpp"
#include "dns/gslb/candidates.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/measurement_queue.hpp"
#include "dns/gslb/observations.hpp"
#include "dns/gslb/persistence_table.hpp"
#include "dns/zone/zone_set.hpp"

namespace udn::dns::server {

struct ServingState {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const zone::ZoneSet> zones;
    std::shared_ptr<const gslb::DomainTable> domains;
    std::shared_ptr<const cluster::Ring> ring;  // null: this server decides every client itself
    // The ring before the last reload that changed it, until `previous_ring_until_ms` (Unix):
    // a server that was removed by that reload may still hand its persistence entries over.
    std::shared_ptr<const cluster::Ring> previous_ring;
    std::int64_t previous_ring_until_ms = 0;
    std::shared_ptr<const geo::Locator> geo;    // null: no GeoIP database configured
    // The latency table's slot of each POP, by position in `config` (gslb::PopSlots; empty:
    // slot = position).
    std::vector<std::uint8_t> latency_slots;
    std::uint64_t generation = 0;

    // Null with one message per mistake in `errors` when the configuration cannot be served.
    // `self` names this server, for the ring of servers sharing client state (empty: no ring).
    static std::shared_ptr<const ServingState> build(std::shared_ptr<const config::Config> config,
                                                     std::uint64_t generation, std::vector<std::string>& errors,
                                                     std::string_view self = {});
};

struct SharedStateSettings {
    std::size_t latency_prefixes = 1 << 18;
    std::size_t latency_pops = 64;  // POP slots per prefix (POPs beyond it are not measured)
    std::size_t persistence_entries = 1 << 16;
};

struct SharedState {
    SharedState(std::shared_ptr<const ServingState> initial, const SharedStateSettings& settings = {})
        : serving(std::move(initial)),
          latency(settings.latency_pops, settings.latency_prefixes),
          persistence(settings.persistence_entries) {}

    Snapshot<ServingState> serving;
    gslb::ObservationStore observations;
    gslb::LatencyTable latency;
    gslb::PersistenceTable persistence;
    gslb::MeasurementQueue measurements;
};

}  // namespace udn::dns::server
