// The push tree as the configuration describes it: push.masters, then each server's
// forwards_to, recursively. The admin tool turns it into the route it sends with a push; a
// daemon uses it to find its ancestors when it catches up.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "configd/transport/messages.hpp"

namespace udn::configd::push {

struct RoutePlan {
    std::vector<transport::RouteNode> masters;
    std::vector<std::string> nodes;         // every node on the route, depth first
    std::vector<std::string> outside_tree;  // configd servers no master leads to (never pushed to)
};

RoutePlan plan_route(const config::Config& config);

// Where a server's configd listens: its first address, ports.configd.
transport::RouteNode endpoint_of(const config::Config& config, const config::Server& server);

// The servers whose forwards_to lead to `server`, nearest first (empty for a master).
std::vector<const config::Server*> ancestors(const config::Config& config, std::string_view server);

}  // namespace udn::configd::push
