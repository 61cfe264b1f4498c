#include "configd/push/route.hpp"

#include <algorithm>
#include <set>

namespace udn::configd::push {

namespace {

void expand(const config::Config& config, transport::RouteNode& node, std::set<std::string>& visited,
            std::vector<std::string>& names) {
    const auto* server = config.find_server(node.name);
    if (server == nullptr) return;
    for (const auto& child_name : server->forwards_to) {
        const auto* child = config.find_server(child_name);
        // A loop or a repeated child would deliver twice; the loader rejects both, this only guards.
        if (child == nullptr || !child->has_role(config::Role::configd) || !visited.insert(child_name).second) continue;
        names.push_back(child_name);
        node.children.push_back(endpoint_of(config, *child));
        expand(config, node.children.back(), visited, names);
    }
}

}  // namespace

transport::RouteNode endpoint_of(const config::Config& config, const config::Server& server) {
    transport::RouteNode node;
    node.name = server.name;
    node.address = server.addresses.empty() ? std::string{} : server.addresses.front().to_string();
    node.port = config.ports.configd;
    return node;
}

RoutePlan plan_route(const config::Config& config) {
    RoutePlan plan;
    std::set<std::string> visited;
    for (const auto& master_name : config.push.masters) {
        const auto* master = config.find_server(master_name);
        if (master == nullptr || !master->has_role(config::Role::configd) || !visited.insert(master_name).second) continue;
        plan.nodes.push_back(master_name);
        plan.masters.push_back(endpoint_of(config, *master));
        expand(config, plan.masters.back(), visited, plan.nodes);
    }
    for (const auto* server : config.servers_with_role(config::Role::configd)) {
        if (!visited.contains(server->name)) plan.outside_tree.push_back(server->name);
    }
    return plan;
}

std::vector<const config::Server*> ancestors(const config::Config& config, std::string_view server) {
    std::vector<const config::Server*> chain;
    std::string current{server};
    for (std::size_t step = 0; step < 64; ++step) {
        const config::Server* parent = nullptr;
        for (const auto& pop : config.pops) {
            for (const auto& candidate : pop.servers) {
                if (std::find(candidate.forwards_to.begin(), candidate.forwards_to.end(), current) !=
                    candidate.forwards_to.end()) {
                    parent = &candidate;
                }
            }
        }
        if (parent == nullptr || std::find(chain.begin(), chain.end(), parent) != chain.end()) break;
        chain.push_back(parent);
        current = parent->name;
    }
    return chain;
}

}  // namespace udn::configd::push
