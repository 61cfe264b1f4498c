// Checks that need the whole tree: uniqueness, references between entities, the push tree's
// shape, zones and names. Each finding points at the line of the entity that is wrong.
#include "common/config/validate.hpp"

#include <map>
#include <set>
#include <string>

#include "common/config/names.hpp"

namespace udn::config {
namespace {

std::string in_quotes(std::string_view text) { return "'" + std::string{text} + "'"; }

class Validator {
public:
    Validator(const Config& config, schema::Context& context) : config_(config), context_(context) {}

    void run() {
        check_pops_and_servers();
        check_push_tree();
        check_customers();
        check_coverage();
        check_log_servers();
        check_records(config_.records, {config_.network.domain, config_.network.cdn_zone}, "the network");
    }

private:
    void error(const SourceLine& where, std::string what, std::string fix) {
        context_.error(where.line, std::move(what), std::move(fix));
    }

    void check_pops_and_servers() {
        if (config_.pops.empty()) {
            context_.error(0, "the network has no POP", "add at least one [[pops]] section with [[pops.servers]]");
        }
        std::map<std::string, const Pop*> pop_names;
        std::map<std::string, const Server*> addresses;
        for (const auto& pop : config_.pops) {
            if (!pop_names.emplace(pop.name, &pop).second) {
                error(pop, "POP " + in_quotes(pop.name) + " is defined twice (first on line " +
                               std::to_string(pop_names[pop.name]->line) + ")",
                      "rename one of them or merge their servers");
            }
            if (pop.servers.empty()) {
                error(pop, "POP " + in_quotes(pop.name) + " has no servers", "add a [[pops.servers]] section below it");
            }
            for (const auto& server : pop.servers) {
                if (!servers_.emplace(server.name, &server).second) {
                    error(server, "server " + in_quotes(server.name) + " is defined twice (first on line " +
                                      std::to_string(servers_[server.name]->line) + ")",
                          "server names must be unique across the network; rename one");
                }
                std::set<Role> roles;
                for (Role role : server.roles) {
                    if (!roles.insert(role).second) {
                        error(server, "server " + in_quotes(server.name) + " lists role " + in_quotes(to_string(role)) + " twice",
                              "list each role once");
                    }
                }
                for (const auto& address : server.addresses) {
                    const auto [it, inserted] = addresses.emplace(address.to_string(), &server);
                    if (!inserted) {
                        error(server, "address " + address.to_string() + " of server " + in_quotes(server.name) +
                                          " is already used by server " + in_quotes(it->second->name) + " (line " +
                                          std::to_string(it->second->line) + ")",
                              "give every server its own address");
                    }
                }
            }
        }
        if (!config_.pops.empty() && config_.servers_with_role(Role::dns).empty()) {
            context_.error(config_.pops.front().line, "no server has the dns role, so no name can be resolved",
                           "add \"dns\" to the roles of at least one server");
        }
    }

    void check_push_tree() {
        std::map<std::string, std::string> parent;  // child -> parent, to find second parents and cycles
        for (const auto& master : config_.push.masters) {
            check_configd_server(master, nullptr, "push.masters");
        }
        for (const auto& pop : config_.pops) {
            for (const auto& server : pop.servers) {
                for (const auto& child : server.forwards_to) {
                    if (!check_configd_server(child, &server, "forwards_to of " + in_quotes(server.name))) continue;
                    if (child == server.name) {
                        error(server, "server " + in_quotes(server.name) + " forwards pushes to itself",
                              "remove it from its own forwards_to");
                        continue;
                    }
                    const auto [it, inserted] = parent.emplace(child, server.name);
                    if (!inserted) {
                        error(server, "server " + in_quotes(child) + " gets pushes from both " + in_quotes(it->second) +
                                          " and " + in_quotes(server.name),
                              "a push tree gives each server one parent; remove one of the forwards_to entries");
                    }
                }
            }
        }
        bool master_has_parent = false;
        for (const auto& master : config_.push.masters) {
            if (parent.contains(master)) {
                const auto* forwarder = find(parent[master]);
                context_.error(forwarder ? forwarder->line : 0,
                               "push master " + in_quotes(master) + " is also forwarded to by " + in_quotes(parent[master]),
                               "a master is a root of the push tree; remove it from that forwards_to");
                master_has_parent = true;
            }
        }
        // A cycle is a chain of parents that returns to where it started without reaching a master;
        // report it once, at the first server of the cycle (and not again when a master is in it).
        std::set<std::string> in_reported_cycle;
        for (const auto& [child, first_parent] : parent) {
            if (master_has_parent) break;
            if (in_reported_cycle.contains(child)) continue;
            std::set<std::string> seen{child};
            std::string current = first_parent;
            while (true) {
                if (seen.contains(current)) {
                    const auto* server = find(child);
                    context_.error(server ? server->line : 0, "the push tree has a cycle through " + in_quotes(child),
                                   "make the forwards_to lists a tree rooted at push.masters");
                    in_reported_cycle = seen;
                    break;
                }
                seen.insert(current);
                const auto up = parent.find(current);
                if (up == parent.end()) break;
                current = up->second;
            }
        }
    }

    bool check_configd_server(const std::string& name, const Server* from, const std::string& where) {
        const auto* server = find(name);
        const int line = from ? from->line : 0;
        if (server == nullptr) {
            context_.error(line, where + " names unknown server " + in_quotes(name), "use the name of a [[pops.servers]] entry");
            return false;
        }
        if (!server->has_role(Role::configd)) {
            context_.error(line, where + " names server " + in_quotes(name) + ", which has no configd role",
                           "add \"configd\" to its roles or remove it from the push tree");
            return false;
        }
        return true;
    }

    void check_customers() {
        std::map<std::string, const Customer*> names;
        std::map<std::string, std::string> zone_owner;
        std::map<std::string, const Domain*> domains;
        for (const auto& customer : config_.customers) {
            if (!names.emplace(customer.name, &customer).second) {
                error(customer, "customer " + in_quotes(customer.name) + " is defined twice", "rename or merge them");
            }
            for (const auto& zone : customer.zones) {
                const auto [it, inserted] = zone_owner.emplace(zone, customer.name);
                if (!inserted) {
                    error(customer, "zone " + in_quotes(zone) + " belongs to both " + in_quotes(it->second) + " and " +
                                        in_quotes(customer.name),
                          "a zone belongs to one customer; remove it from one of them");
                }
                if (is_in_zone(zone, config_.network.domain) || is_in_zone(zone, config_.network.cdn_zone)) {
                    error(customer, "customer zone " + in_quotes(zone) + " lies inside the network's own zones",
                          "customer names under " + config_.network.cdn_zone + " are domains, not zones; remove the zone");
                }
            }
            check_origins(customer);
            for (const auto& domain : customer.domains) {
                const auto [it, inserted] = domains.emplace(domain.name, &domain);
                if (!inserted) {
                    error(domain, "domain " + in_quotes(domain.name) + " is defined twice (first on line " +
                                      std::to_string(it->second->line) + ")",
                          "each name is configured once; remove one");
                }
                check_domain(customer, domain);
                if (domain.slice_bytes != 0 && domain.slice_bytes < 16384) {
                    error(domain, "domain " + in_quotes(domain.name) + " has slice_bytes = " +
                                      std::to_string(domain.slice_bytes) +
                                      ": slices this small cost an origin request and a cached object each",
                          "use 0 (whole objects) or at least 16384, e.g. 1048576");
                }
            }
            std::vector<std::string> zones = customer.zones;
            zones.push_back(config_.network.cdn_zone);
            check_records(customer.records, zones, "customer " + in_quotes(customer.name));
        }
    }

    void check_origins(const Customer& customer) {
        std::set<std::string> names;
        std::set<std::pair<std::string, std::uint16_t>> endpoints;
        for (const auto& origin : customer.origins) {
            if (!names.insert(origin.name).second) {
                error(origin, "origin " + in_quotes(origin.name) + " of customer " + in_quotes(customer.name) +
                                  " is defined twice",
                      "origin names are unique within a customer; rename one");
            }
            if (!endpoints.emplace(origin.address.to_string(), origin.port).second) {
                error(origin, "origin " + in_quotes(origin.name) + " uses the same address and port as another origin of " +
                                  in_quotes(customer.name),
                      "each mirror needs its own address:port");
            }
            const auto& check = origin.check;
            if (check.timeout_ms > check.interval_ms) {
                error(origin, "origin " + in_quotes(origin.name) + ": check timeout_ms (" + std::to_string(check.timeout_ms) +
                                  ") is longer than interval_ms (" + std::to_string(check.interval_ms) + ")",
                      "make timeout_ms at most interval_ms so checks do not overlap");
            }
            if (check.type == CheckType::dns && check.query_name.empty()) {
                error(origin, "origin " + in_quotes(origin.name) + ": a dns check needs query_name",
                      "add query_name = \"<name to ask>\" to its [customers.origins.check]");
            }
        }
    }

    void check_domain(const Customer& customer, const Domain& domain) {
        bool in_zone = is_in_zone(domain.name, config_.network.cdn_zone);
        for (const auto& zone : customer.zones) in_zone = in_zone || is_in_zone(domain.name, zone);
        if (!in_zone) {
            error(domain, "domain " + in_quotes(domain.name) + " is in none of the zones of customer " + in_quotes(customer.name) +
                              " nor in the CDN zone " + in_quotes(config_.network.cdn_zone),
                  "add its zone to the customer's zones = [...] or rename it under " + config_.network.cdn_zone);
        }
        for (const auto& origin_name : domain.origins) {
            if (!has_origin(customer, origin_name)) {
                error(domain, "domain " + in_quotes(domain.name) + " names unknown origin " + in_quotes(origin_name),
                      "use the name of one of the [[customers.origins]] of " + in_quotes(customer.name));
            }
        }
        if (domain.kind == DomainKind::dynamic_name) {
            if (domain.origins.empty()) {
                error(domain, "dynamic domain " + in_quotes(domain.name) + " has an empty origin list",
                      "list the mirrors DNS chooses among: origins = [\"...\"]");
            }
            if (!domain.pops.empty() || domain.path_form || domain.origin_competes) {
                error(domain, "dynamic domain " + in_quotes(domain.name) + " sets pops/path_form/origin_competes, which only static names use",
                      "remove them, or make it kind = \"static\"");
            }
        } else {
            check_static_domain(customer, domain);
        }
        const bool dynamic = domain.kind == DomainKind::dynamic_name;
        for (const auto& mapping : domain.policy.static_mappings) {
            for (const auto& target : mapping.servers) {
                const bool known = dynamic ? has_origin(customer, target) : config_.find_pop(target) != nullptr;
                if (!known) {
                    error(domain, "static mapping " + mapping.client.to_string() + " of " + in_quotes(domain.name) +
                                      " names unknown " + (dynamic ? "origin " : "POP ") + in_quotes(target),
                          dynamic ? "use one of the customer's origin names" : "use a POP name");
                }
            }
        }
    }

    void check_static_domain(const Customer& customer, const Domain& domain) {
        if (domain.origins.empty() && !domain.path_form) {
            error(domain, "static domain " + in_quotes(domain.name) + " has an empty origin list",
                  "list where caches fetch from (origins = [\"...\"]) or set path_form = true");
        }
        if (domain.path_form && domain.origins.empty() && customer.domains.size() < 2) {
            error(domain, "static domain " + in_quotes(domain.name) + " uses path_form, but customer " +
                              in_quotes(customer.name) + " has no other domain to name in the path",
                  "add the domain its URLs name, or list origins");
        }
        bool served = false;
        if (domain.pops.empty()) {
            served = !config_.servers_with_role(Role::cache).empty();
        }
        for (const auto& pop_name : domain.pops) {
            const auto* pop = config_.find_pop(pop_name);
            if (pop == nullptr) {
                error(domain, "static domain " + in_quotes(domain.name) + " names unknown POP " + in_quotes(pop_name),
                      "use the name of a [[pops]] entry");
                continue;
            }
            for (const auto& server : pop->servers) served = served || server.has_role(Role::cache);
        }
        if (!served) {
            error(domain, "static domain " + in_quotes(domain.name) + " has no POP serving it (no server with the cache role" +
                              (domain.pops.empty() ? std::string{} : " in its pops") + ")",
                  "add \"cache\" to the roles of a server in a POP that serves it");
        }
    }

    void check_coverage() {
        for (const auto& zone : config_.coverage) {
            if (config_.find_pop(zone.pop) == nullptr) {
                error(zone, "coverage " + zone.client.to_string() + " names unknown POP " + in_quotes(zone.pop),
                      "use the name of a [[pops]] entry");
            }
        }
    }

    void check_log_servers() {
        for (const auto& log_server : config_.log_servers) {
            const auto* server = find(log_server.server);
            if (server == nullptr) {
                error(log_server, "log server " + in_quotes(log_server.server) + " is not a known server",
                      "use the name of a [[pops.servers]] entry");
            } else if (!server->has_role(Role::logs)) {
                error(log_server, "log server " + in_quotes(log_server.server) + " has no logs role",
                      "add \"logs\" to its roles");
            }
            for (const auto& customer : log_server.customers) {
                if (config_.find_customer(customer) == nullptr) {
                    error(log_server, "log server " + in_quotes(log_server.server) + " names unknown customer " + in_quotes(customer),
                          "use the name of a [[customers]] entry");
                }
            }
        }
    }

    void check_records(const std::vector<Record>& records, const std::vector<std::string>& zones,
                       const std::string& owner) {
        for (const auto& record : records) {
            bool in_zone = false;
            for (const auto& zone : zones) in_zone = in_zone || is_in_zone(record.name, zone);
            if (!in_zone) {
                error(record, "record " + in_quotes(record.name) + " of " + owner + " is outside its zones",
                      "put it under one of: " + join(zones));
            }
            const auto address = net::IpAddress::parse(record.value);
            if (record.type == "A" && !(address && address->is_v4())) {
                error(record, "A record " + in_quotes(record.name) + " has value " + in_quotes(record.value) + ", not an IPv4 address",
                      "write an IPv4 address such as \"192.0.2.1\"");
            } else if (record.type == "AAAA" && !(address && !address->is_v4())) {
                error(record, "AAAA record " + in_quotes(record.name) + " has value " + in_quotes(record.value) +
                                  ", not an IPv6 address",
                      "write an IPv6 address such as \"2001:db8::1\"");
            } else if ((record.type == "CNAME" || record.type == "NS") && !check_dns_name(record.value).empty()) {
                error(record, record.type + " record " + in_quotes(record.name) + " has value " + in_quotes(record.value) +
                                  ", not a DNS name",
                      "write a name such as \"target.example.com\" (no trailing dot)");
            } else if (record.type == "TXT" && record.value.size() > 4000) {
                error(record, "TXT record " + in_quotes(record.name) + " is longer than 4000 characters", "shorten it");
            } else if (record.type == "MX") {
                const auto space = record.value.find(' ');
                if (space == std::string::npos || !check_dns_name(record.value.substr(space + 1)).empty()) {
                    error(record, "MX record " + in_quotes(record.name) + " has value " + in_quotes(record.value),
                          "write it as \"<preference> <exchange>\", e.g. \"10 mail.example.com\"");
                }
            }
        }
    }

    static std::string join(const std::vector<std::string>& items) {
        std::string out;
        for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
        return out;
    }

    const Server* find(const std::string& name) const {
        const auto it = servers_.find(name);
        return it == servers_.end() ? nullptr : it->second;
    }

    static bool has_origin(const Customer& customer, const std::string& name) {
        for (const auto& origin : customer.origins) {
            if (origin.name == name) return true;
        }
        return false;
    }

    const Config& config_;
    schema::Context& context_;
    std::map<std::string, const Server*> servers_;
};

}  // namespace

void validate(const Config& config, schema::Context& context) { Validator(config, context).run(); }

}  // namespace udn::config
