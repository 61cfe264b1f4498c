#include "dns/zone/zone_set.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dns/wire/types.hpp"

namespace udn::dns::zone {
namespace {

constexpr std::uint32_t apex_ttl_s = 3600;
constexpr std::uint32_t server_ttl_s = 300;
constexpr std::uint32_t negative_ttl_s = 60;

// Service names of the network itself, so that e.g. caches find log servers through DNS.
struct ServiceName {
    std::string_view label;
    config::Role role;
};
constexpr ServiceName service_names[] = {
    {"log", config::Role::logs},       {"logs", config::Role::logs},   {"configd", config::Role::configd},
    {"view", config::Role::view},      {"probe", config::Role::probe}, {"cache", config::Role::cache},
    {"dns", config::Role::dns},
};

std::optional<wire::Name> child_name(std::string_view label, const wire::Name& parent) {
    auto name = wire::Name::from_text(label);
    if (!name) return std::nullopt;
    wire::Name out = *name;
    const auto parent_wire = parent.wire();
    std::size_t at = 0;
    while (parent_wire[at] != 0) {
        if (!out.append_label(parent_wire.subspan(at + 1, parent_wire[at]))) return std::nullopt;
        at += parent_wire[at] + 1;
    }
    return out.lowered();
}

wire::Name mailbox_name(const config::Network& network, const wire::Name& domain) {
    std::string text = network.hostmaster;
    const auto at = text.find('@');
    if (at == std::string::npos) return *child_name("hostmaster", domain);
    wire::Name name;
    const auto local = text.substr(0, at);
    name.append_label({reinterpret_cast<const std::uint8_t*>(local.data()), local.size()});
    if (const auto host = wire::Name::from_text(text.substr(at + 1))) {
        const auto host_wire = host->wire();
        for (std::size_t i = 0; host_wire[i] != 0; i += host_wire[i] + 1) {
            name.append_label(host_wire.subspan(i + 1, host_wire[i]));
        }
    }
    return name.lowered();
}

}  // namespace

bool Node::has_type(std::uint16_t type) const {
    return std::any_of(records.begin(), records.end(), [&](const auto& r) { return r.type == type; });
}

class ZoneSetBuilder {
public:
    ZoneSetBuilder(const config::Config& config, std::vector<std::string>& errors)
        : config_(config), errors_(errors), set_(std::make_shared<ZoneSet>()) {}

    std::shared_ptr<const ZoneSet> build() {
        const auto domain = parse_name(config_.network.domain, "network.domain");
        if (!domain) return nullptr;
        domain_ = *domain;
        collect_name_servers();
        add_zone(domain_, "network.domain");
        if (!config_.network.cdn_zone.empty()) {
            if (const auto cdn = parse_name(config_.network.cdn_zone, "network.cdn_zone")) {
                if (!cdn->equals_ignore_case(domain_)) add_zone(*cdn, "network.cdn_zone");
            }
        }
        for (const auto& customer : config_.customers) {
            for (const auto& zone_text : customer.zones) {
                const auto where = fmt::format("customers[{}].zones (line {})", customer.name, customer.line);
                if (const auto apex = parse_name(zone_text, where)) add_zone(*apex, where);
            }
        }
        add_network_names();
        add_records(config_.records, "records");
        const auto domains = ZoneSet::flatten_domains(config_);
        for (std::size_t i = 0; i < domains.size(); ++i) add_gslb_domain(*domains[i].first, *domains[i].second, i);
        for (const auto& customer : config_.customers) {
            add_records(customer.records, fmt::format("customers[{}].records", customer.name));
        }
        check_cnames();
        if (!errors_.empty()) return nullptr;
        // The query path takes a node's zone from zone_index instead of searching apexes (one
        // hash less per query), so it must be the longest apex above the node: all zones are
        // added before any other name, which makes it so; this states it rather than relies on it.
        for (auto& [key, node] : set_->nodes_) {
            std::size_t zone_index = 0;
            if (set_->find_zone(node.owner, zone_index) != nullptr) node.zone_index = zone_index;
            std::string text(wire::Name::max_text_bytes, '\0');
            const char* const end = node.owner.write_lowered_text(text.data());
            text.resize(static_cast<std::size_t>(end - text.data()));
            node.log_text = std::move(text);
        }
        std::vector<const Node*> nodes;
        nodes.reserve(set_->nodes_.size());
        for (const auto& [key, node] : set_->nodes_) nodes.push_back(&node);
        set_->node_index_.build(nodes);
        return set_;
    }

private:
    std::optional<wire::Name> parse_name(std::string_view text, const std::string& where) {
        const auto name = wire::Name::from_text(text);
        if (!name || name->is_root()) {
            error(fmt::format("{}: \"{}\" is not a valid domain name — use labels of 1-63 characters "
                              "separated by dots, such as example.com", where, text));
            return std::nullopt;
        }
        return name->lowered();
    }

    void error(std::string message) { errors_.push_back(std::move(message)); }

    void collect_name_servers() {
        for (const auto* server : config_.servers_with_role(config::Role::dns)) {
            if (auto name = child_name(server->name, domain_)) name_servers_.push_back(*name);
        }
        if (name_servers_.empty()) {
            error("no server has the dns role — add \"dns\" to the roles of at least one server in pops[].servers");
        }
    }

    void add_zone(const wire::Name& apex, const std::string& where) {
        if (set_->zone_by_apex_.count(std::string(apex.key_view())) != 0) {
            error(fmt::format("{}: zone {} is declared twice — each zone belongs to exactly one place",
                              where, apex.to_text()));
            return;
        }
        Zone zone;
        zone.apex = apex;
        zone.negative_ttl_s = negative_ttl_s;
        const wire::Name primary = name_servers_.empty() ? domain_ : name_servers_.front();
        zone.soa = make_soa_record(primary, mailbox_name(config_.network, domain_),
                                   static_cast<std::uint32_t>(config_.version), negative_ttl_s, apex_ttl_s);
        const auto index = set_->zones_.size();
        set_->zones_.push_back(zone);
        set_->zone_by_apex_.emplace(std::string(apex.key_view()), index);
        set_->max_apex_labels_ = std::max(set_->max_apex_labels_, apex.label_count());
        auto& node = node_for(apex, where);
        node.records.push_back(zone.soa);
        for (const auto& ns : name_servers_) node.records.push_back(make_name_record(wire::rr_type::ns, ns, apex_ttl_s));
    }

    // The node for `name` (creating it and the empty non-terminals above it), or null when the
    // name lies in none of our zones.
    Node* node_or_null(const wire::Name& name) {
        std::size_t zone_index = 0;
        if (set_->find_zone(name, zone_index) == nullptr) return nullptr;
        const auto& apex = set_->zones_[zone_index].apex;
        Node* found = nullptr;
        for (wire::Name cursor = name;; cursor = cursor.parent()) {
            auto [it, inserted] = set_->nodes_.try_emplace(std::string(cursor.key_view()));
            if (inserted) {
                it->second.owner = cursor;
                it->second.zone_index = zone_index;
            }
            if (found == nullptr) found = &it->second;
            if (cursor.equals_ignore_case(apex) || cursor.is_root()) break;
        }
        return found;
    }

    Node& node_for(const wire::Name& name, const std::string& where) {
        if (auto* node = node_or_null(name)) return *node;
        error(fmt::format("{}: {} lies outside every zone we serve — put it under network.domain, "
                          "network.cdn_zone or one of the customer's zones", where, name.to_text()));
        return scratch_;
    }

    void add_network_names() {
        for (const auto& pop : config_.pops) {
            for (const auto& server : pop.servers) {
                const auto name = child_name(server.name, domain_);
                const auto where = fmt::format("pops[{}].servers[{}] (line {})", pop.name, server.name, server.line);
                if (!name) {
                    error(fmt::format("{}: server name \"{}\" is not a valid DNS label — use letters, digits "
                                      "and hyphens", where, server.name));
                    continue;
                }
                auto& node = node_for(*name, where);
                for (const auto& address : server.addresses) node.records.push_back(make_address_record(address, server_ttl_s));
            }
        }
        for (const auto& service : service_names) {
            const auto name = child_name(service.label, domain_);
            const auto servers = config_.servers_with_role(service.role);
            if (servers.empty() || set_->nodes_.count(std::string(name->key_view())) != 0) continue;
            auto& node = node_for(*name, "service names");
            for (const auto* server : servers) {
                for (const auto& address : server->addresses) node.records.push_back(make_address_record(address, server_ttl_s));
            }
        }
    }

    void add_records(const std::vector<config::Record>& records, const std::string& section) {
        for (std::size_t i = 0; i < records.size(); ++i) {
            const auto& record = records[i];
            const auto where = fmt::format("{}[{}] (line {})", section, i, record.line);
            const auto name = parse_name(record.name, where);
            const auto type = type_from_text(record.type);
            if (!name) continue;
            if (!type || *type == wire::rr_type::soa) {
                error(fmt::format("{}: record type \"{}\" is not supported — use A, AAAA, TXT, CNAME, MX or NS "
                                  "(SOA records are generated)", where, record.type));
                continue;
            }
            std::string problem;
            auto stored = parse_record_value(*type, record.value, record.ttl_s, problem);
            if (!stored) {
                error(fmt::format("{}: {} value \"{}\" is invalid: {}", where, record.type, record.value, problem));
                continue;
            }
            auto& node = node_for(*name, where);
            if (*type == wire::rr_type::ns && set_->zone_by_apex_.count(std::string(name->key_view())) == 0) {
                node.is_delegation = true;
                if (&node != &scratch_) set_->zones_[node.zone_index].has_delegations = true;
            }
            node.records.push_back(std::move(*stored));
        }
    }

    void add_gslb_domain(const config::Customer& customer, const config::Domain& domain, std::size_t index) {
        const auto where = fmt::format("customers[{}].domains[{}] (line {})", customer.name, domain.name, domain.line);
        const auto name = parse_name(domain.name, where);
        if (!name) return;
        auto& node = node_for(*name, where);
        if (node.gslb_domain >= 0) {
            error(fmt::format("{}: {} is configured twice — each name has one policy", where, domain.name));
        }
        node.gslb_domain = static_cast<int>(index);
    }

    void check_cnames() {
        for (const auto& [key, node] : set_->nodes_) {
            const auto cnames = std::count_if(node.records.begin(), node.records.end(),
                                              [](const auto& r) { return r.type == wire::rr_type::cname; });
            if (cnames == 0) continue;
            if (cnames > 1 || node.records.size() > 1 || node.gslb_domain >= 0) {
                error(fmt::format("{}: a CNAME cannot coexist with other data at the same name (RFC 1034 3.6.2) — "
                                  "remove the CNAME or the other records", node.owner.to_text()));
            }
        }
    }

    const config::Config& config_;
    std::vector<std::string>& errors_;
    std::shared_ptr<ZoneSet> set_;
    wire::Name domain_;
    std::vector<wire::Name> name_servers_;
    Node scratch_;  // absorbs records of names already reported as outside our zones
};

std::shared_ptr<const ZoneSet> ZoneSet::build(const config::Config& config, std::vector<std::string>& errors) {
    return ZoneSetBuilder(config, errors).build();
}

std::vector<std::pair<const config::Customer*, const config::Domain*>> ZoneSet::flatten_domains(
    const config::Config& config) {
    std::vector<std::pair<const config::Customer*, const config::Domain*>> out;
    for (const auto& customer : config.customers) {
        for (const auto& domain : customer.domains) out.emplace_back(&customer, &domain);
    }
    return out;
}

const Zone* ZoneSet::find_zone(const wire::Name& lowered, std::size_t& zone_index) const {
    // The suffixes of the wire form are the ancestors' keys: walk them in place, no Name copies.
    const auto key = lowered.key_view();
    const auto labels = lowered.label_count();
    std::size_t at = 0;
    for (std::size_t skip = labels > max_apex_labels_ ? labels - max_apex_labels_ : 0; skip > 0; --skip) {
        at += static_cast<std::uint8_t>(key[at]) + 1;
    }
    for (;; at += static_cast<std::uint8_t>(key[at]) + 1) {
        const auto it = zone_by_apex_.find(key.substr(at));
        if (it != zone_by_apex_.end()) {
            zone_index = it->second;
            return &zones_[it->second];
        }
        if (key[at] == 0) return nullptr;
    }
}

const Node* ZoneSet::find_node(const wire::Name& lowered) const {
    return node_index_.find(lowered.key_view());
}

}  // namespace udn::dns::zone
