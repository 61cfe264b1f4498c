#include "dns/server/serving_state.hpp"

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

}  // namespace udn::dns::server
