#include "probe/service/target.hpp"

#include <algorithm>
#include <tuple>

namespace udn::probe::service {
namespace {

// The Host header a user would send to this origin: the first dynamic domain that lists it,
// else any domain that does, else the origin's address.
std::string host_for(const config::Customer& customer, const config::Origin& origin) {
    const config::Domain* fallback = nullptr;
    for (const auto& domain : customer.domains) {
        if (std::find(domain.origins.begin(), domain.origins.end(), origin.name) == domain.origins.end()) continue;
        if (domain.kind == config::DomainKind::dynamic_name) return domain.name;
        if (!fallback) fallback = &domain;
    }
    if (fallback) return fallback->origin_host.empty() ? fallback->name : fallback->origin_host;
    return origin.address.to_string();
}

}  // namespace

std::string Target::label() const { return customer.empty() ? name : customer + "/" + name; }

bool same_check(const Target& a, const Target& b) {
    const auto fields = [](const Target& t) {
        const auto& c = t.check;
        return std::tie(t.kind, t.customer, t.name, t.endpoint, t.host, t.load_agent, c.type, c.path, c.expect_status,
                        c.expect_substring, c.expect_regex, c.expect_sha256, c.query_name, c.expect_address,
                        c.interval_ms, c.timeout_ms, c.fall, c.rise);
    };
    return fields(a) == fields(b);
}

std::optional<report::CheckKind> wire_check_kind(config::CheckType type) {
    switch (type) {
        case config::CheckType::http: return report::CheckKind::http;
        case config::CheckType::https: return report::CheckKind::https;
        case config::CheckType::tcp: return report::CheckKind::tcp;
        case config::CheckType::dns: return report::CheckKind::dns;
        case config::CheckType::ftp: return report::CheckKind::ftp;
        case config::CheckType::none: return std::nullopt;
    }
    return std::nullopt;
}

std::vector<Target> targets_from_config(const config::Config& config) {
    std::vector<Target> targets;
    for (const auto& customer : config.customers) {
        for (const auto& origin : customer.origins) {
            if (origin.check.type == config::CheckType::none) continue;
            Target target;
            target.kind = report::TargetKind::origin;
            target.customer = customer.name;
            target.name = origin.name;
            target.endpoint = {origin.address, origin.port};
            target.host = host_for(customer, origin);
            target.load_agent = {origin.address, config.ports.loadp};
            target.check = origin.check;
            targets.push_back(std::move(target));
        }
    }
    for (const auto& pop : config.pops) {
        for (const auto& server : pop.servers) {
            if (!server.has_role(config::Role::cache) || server.addresses.empty()) continue;
            Target target;
            target.kind = report::TargetKind::server;
            target.name = server.name;
            target.endpoint = {server.addresses.front(), config.ports.cache_admin};
            target.host = server.addresses.front().to_string();
            target.load_agent = {server.addresses.front(), config.ports.loadp};
            target.check.type = config::CheckType::http;
            target.check.path = "/healthz";
            targets.push_back(std::move(target));
        }
    }
    return targets;
}

}  // namespace udn::probe::service
