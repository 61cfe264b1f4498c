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
#include "dns/cluster/handover.hpp"
#include "dns/cluster/ring.hpp"
#include "dns/geo/locator.hpp"
#include "dns/gslb/candidates.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/measurement_queue.hpp"
#include "dns/gslb/observations.hpp"
#include "dns/gslb/pop_slots.hpp"
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
    // slot = position), and each slot's epoch when this snapshot took that mapping (empty: 0).
    // Writers into the table go through claims from here (gslb::SlotClaim), so that one that
    // still holds the previous snapshot cannot write a removed POP's numbers into its old slot
    // after a reload gave that slot to another POP.
    std::vector<std::uint8_t> latency_slots;
    std::vector<std::uint32_t> latency_slot_epochs;
    gslb::SlotMap latency_slot_map() const { return {latency_slots, latency_slot_epochs}; }
    // gslb::stable_identity of each POP's name, by position in `config`: how handed-over latency
    // measurements name their POP.
    std::vector<std::uint64_t> pop_identities;
    std::uint64_t generation = 0;

    // The latency slot of the POP with this identity and its epoch in this snapshot; slot
    // no_latency_slot when it has none here.
    gslb::SlotClaim latency_claim_of(std::uint64_t pop_identity) const {
        for (std::size_t position = 0; position < pop_identities.size(); ++position) {
            if (pop_identities[position] == pop_identity) return latency_slot_map().claim(position);
        }
        return {gslb::no_latency_slot, 0};
    }

    // Takes a measurement another DNS server handed over, or the last run saved, into `latency`
    // under this configuration's slot for its POP; one stamped in the future (the sender's clock
    // ahead) counts as taken at `now_s`, so that it ages out. False when the POP has no slot here
    // or the table holds a measurement as recent (LatencyTable::adopt).
    bool adopt_latency(gslb::LatencyTable& latency, const cluster::LatencyRecord& record, std::uint32_t now_s) const;

    // Null with one message per mistake in `errors` when the configuration cannot be served.
    // `self` names this server, for the ring of servers sharing client state (empty: no ring).
    static std::shared_ptr<const ServingState> build(std::shared_ptr<const config::Config> config,
                                                     std::uint64_t generation, std::vector<std::string>& errors,
                                                     std::string_view self = {});
};

// `serving` with each of its POPs given a slot of `latency` (by name, kept across reloads:
// gslb::PopSlots), the slots handed to another POP cleared, and the slot epochs after that: the
// snapshot to publish, so that decisions and ingest never see one configuration with another's
// mapping. From one thread at a time (the one that reloads).
std::shared_ptr<const ServingState> with_latency_slots(std::shared_ptr<const ServingState> serving,
                                                       gslb::PopSlots& slots,
                                                       gslb::LatencyTable& latency);

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
