#include "dns/server/serving_state.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace udn::dns::server {

std::shared_ptr<const ServingState> ServingState::build(std::shared_ptr<const config::Config> config,
                                                        std::uint64_t generation, std::vector<std::string>& errors,
                                                        std::string_view self) {
    auto state = std::make_shared<ServingState>();
    state->zones = zone::ZoneSet::build(*config, errors);
    state->domains = gslb::DomainTable::build(*config, errors);
    state->geo = geo::Locator::build(*config, errors);
    if (!state->zones || !state->domains || (config->network.geoip_database && !state->geo)) return nullptr;
    if (!self.empty()) {
        std::vector<std::string> dropped;
        state->ring = cluster::Ring::build(*config, self, dropped);
        for (const auto& name : dropped) {
            spdlog::warn("dns: server {} has no address of {}'s address family: it does not share client state "
                         "with it (give both an address of the same family)",
                         name, self);
        }
    }
    for (const auto& pop : config->pops) state->pop_identities.push_back(gslb::stable_identity(pop.name));
    state->config = std::move(config);
    state->generation = generation;
    return state;
}

bool ServingState::adopt_latency(gslb::LatencyTable& latency, const cluster::LatencyRecord& record,
                                 std::uint32_t now_s) const {
    const auto claim = latency_claim_of(record.pop);
    if (claim.slot == gslb::no_latency_slot)
        return false;  // a POP this server does not know, or has no slot for
    return latency.adopt(record.prefix_key, claim, record.latency_ms,
                         std::min(record.measured_at_s, now_s), record.loss_permille);
}

std::shared_ptr<const ServingState> with_latency_slots(std::shared_ptr<const ServingState> serving,
                                                       gslb::PopSlots& slots,
                                                       gslb::LatencyTable& latency) {
    std::vector<std::string> names;
    for (const auto& pop : serving->config->pops) names.push_back(pop.name);
    const auto before = slots.holders();
    auto assignment = slots.assign(names);
    for (const auto slot : assignment.slots_to_clear) latency.clear_pop(slot);
    for (std::size_t slot = 0; slot < slots.holders().size(); ++slot) {
        if (before[slot] == slots.holders()[slot]) continue;
        spdlog::info("dns: latency slot {} now holds POP {} (was {}){}", slot,
                     slots.holders()[slot].empty() ? "-" : slots.holders()[slot],
                     before[slot].empty() ? "-" : before[slot],
                     before[slot].empty() || slots.holders()[slot].empty()
                         ? ""
                         : ": its client measurements were cleared");
    }
    if (!assignment.unplaced.empty()) {
        spdlog::warn(
            "dns: no latency slot left for POP {} ({} slots: the POPs at start plus "
            "dns.latency_spare_pops): "
            "its client latency is not used until udn dns restarts",
            fmt::join(assignment.unplaced, ", "), slots.slot_count());
    }
    auto with = std::make_shared<ServingState>(*serving);
    with->latency_slots = std::move(assignment.slot_of_pop);
    with->latency_slot_epochs.clear();
    for (std::size_t slot = 0; slot < latency.pop_count(); ++slot)
        with->latency_slot_epochs.push_back(latency.slot_epoch(slot));
    return with;
}

}  // namespace udn::dns::server
