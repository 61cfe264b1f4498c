#include "dns/server/serving_state.hpp"

namespace udn::dns::server {

std::shared_ptr<const ServingState> ServingState::build(std::shared_ptr<const config::Config> config,
                                                        std::uint64_t generation, std::vector<std::string>& errors) {
    auto state = std::make_shared<ServingState>();
    state->zones = zone::ZoneSet::build(*config, errors);
    state->domains = gslb::DomainTable::build(*config, errors);
    if (!state->zones || !state->domains) return nullptr;
    state->config = std::move(config);
    state->generation = generation;
    return state;
}

}  // namespace udn::dns::server
