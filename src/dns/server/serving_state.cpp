#include "dns/server/serving_state.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

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
    const auto slot = latency_slot_of(record.pop);
    if (slot == gslb::no_latency_slot) return false;  // a POP this server does not know, or has no slot for
    return latency.adopt(record.prefix_key, slot, record.latency_ms, std::min(record.measured_at_s, now_s),
                         record.loss_permille);
}

}  // namespace udn::dns::server
