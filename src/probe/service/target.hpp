// What the service prober checks: one entry per (server or origin, service), derived from the
// configuration. Customers' origins get their configured check (Origin.check); every POP
// cache gets an HTTP GET of its admin /healthz (docs/probes.md says why).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/report/message.hpp"

namespace udn::probe::service {

struct Target {
    report::TargetKind kind = report::TargetKind::origin;
    std::string customer;  // empty for the network's own servers
    std::string name;      // origin or server name
    udn::net::Endpoint endpoint;
    std::string host;      // HTTP Host header: the first domain served by this origin
    udn::net::Endpoint load_agent;  // where its `udn loadp` would answer (address:ports.loadp)
    config::ServiceCheck check;

    // "customer/origin" or "server", for logs and metrics.
    std::string label() const;
};

std::vector<Target> targets_from_config(const config::Config& config);

// The same service checked the same way (everything but nothing differs): a reload keeps such a
// target's up/down state instead of starting over.
bool same_check(const Target& a, const Target& b);

// The wire value of a config check type; nullopt for CheckType::none.
std::optional<report::CheckKind> wire_check_kind(config::CheckType type);

}  // namespace udn::probe::service
