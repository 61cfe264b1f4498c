#include "dns/gslb/candidates.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dns/gslb/latency_table.hpp"

namespace udn::dns::gslb {
namespace {

const config::Origin* find_origin(const config::Customer& customer, std::string_view name) {
    for (const auto& origin : customer.origins) {
        if (origin.name == name) return &origin;
    }
    return nullptr;
}

Candidate origin_candidate(const config::Customer& customer, const config::Origin& origin) {
    Candidate candidate;
    candidate.key = origin_key(customer.name, origin.name);
    candidate.label = "origin " + origin.name;
    candidate.addresses = {origin.address};
    candidate.weight = origin.weight;
    candidate.backup = origin.backup;
    candidate.cost = origin.cost;
    return candidate;
}

bool whole_buckets(const net::Cidr& cidr) {
    return cidr.prefix_length() <= (cidr.network().is_v4() ? latency_prefix_v4 : latency_prefix_v6);
}

class DomainCompiler {
public:
    DomainCompiler(const config::Config& config, std::vector<std::string>& errors)
        : config_(config), errors_(errors) {}

    CompiledDomain compile(const config::Customer& customer, const config::Domain& domain) {
        where_ = fmt::format("customers[{}].domains[{}] (line {})", customer.name, domain.name, domain.line);
        CompiledDomain out;
        out.name = domain.name;
        std::transform(out.name.begin(), out.name.end(), out.name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.kind = domain.kind;
        out.policy = domain.policy;
        if (domain.kind == config::DomainKind::dynamic_name || domain.origin_competes) {
            add_origins(customer, domain, out);
        }
        if (domain.kind == config::DomainKind::static_name) add_caches(domain, out);
        if (out.candidates.empty()) {
            errors_.push_back(fmt::format("{}: no candidate servers — list origins (dynamic names) or make sure "
                                          "a POP has a server with the cache role (static names)", where_));
        }
        if (out.candidates.size() > max_candidates) {
            errors_.push_back(fmt::format("{}: {} candidates, at most {} are supported — restrict pops", where_,
                                          out.candidates.size(), max_candidates));
            out.candidates.resize(max_candidates);
        }
        for (const auto& mapping : domain.policy.static_mappings) add_mapping(mapping, out);
        out.rank_per_bucket = std::all_of(out.mappings.begin(), out.mappings.end(),
                                          [](const auto& m) { return whole_buckets(m.client); }) &&
                              std::all_of(config_.coverage.begin(), config_.coverage.end(),
                                          [](const auto& zone) { return whole_buckets(zone.client); });
        return out;
    }

private:
    void add_origins(const config::Customer& customer, const config::Domain& domain, CompiledDomain& out) {
        for (const auto& name : domain.origins) {
            if (const auto* origin = find_origin(customer, name)) {
                out.candidates.push_back(origin_candidate(customer, *origin));
            } else {
                errors_.push_back(fmt::format("{}: origin \"{}\" is not one of customer {}'s origins — add it to "
                                              "customers.origins or fix the name", where_, name, customer.name));
            }
        }
    }

    void add_caches(const config::Domain& domain, CompiledDomain& out) {
        for (const auto& pop : config_.pops) {
            const bool listed = domain.pops.empty() ||
                                std::find(domain.pops.begin(), domain.pops.end(), pop.name) != domain.pops.end();
            if (!listed) continue;
            for (const auto& server : pop.servers) {
                if (!server.has_role(config::Role::cache)) continue;
                Candidate candidate;
                candidate.key = server_key(server.name);
                candidate.label = "cache " + server.name;
                candidate.addresses = server.addresses;
                candidate.pop = pop.name;
                out.candidates.push_back(std::move(candidate));
            }
        }
        for (const auto& name : domain.pops) {
            if (config_.find_pop(name) == nullptr) {
                errors_.push_back(fmt::format("{}: pop \"{}\" does not exist — use one of pops[].name", where_, name));
            }
        }
    }

    // A mapping names origins (dynamic) or POPs (static); both select candidates.
    void add_mapping(const config::StaticMapping& mapping, CompiledDomain& out) {
        StaticMappingSet set;
        set.client = mapping.client;
        for (const auto& name : mapping.servers) {
            bool matched = false;
            for (std::size_t i = 0; i < out.candidates.size(); ++i) {
                const auto& candidate = out.candidates[i];
                const bool hit = candidate.pop == name || candidate.label == "origin " + name ||
                                 candidate.label == "cache " + name;
                if (hit) {
                    set.candidates.push_back(static_cast<std::uint8_t>(i));
                    matched = true;
                }
            }
            if (!matched) {
                errors_.push_back(fmt::format("{}: static mapping for {} names \"{}\", which is none of this name's "
                                              "candidates — use an origin name (dynamic) or a POP name (static)",
                                              where_, mapping.client.to_string(), name));
            }
        }
        out.mappings.push_back(std::move(set));
    }

    const config::Config& config_;
    std::vector<std::string>& errors_;
    std::string where_;
};

}  // namespace

std::string server_key(std::string_view server) { return fmt::format("server/{}", server); }
std::string origin_key(std::string_view customer, std::string_view origin) {
    return fmt::format("origin/{}/{}", customer, origin);
}

std::uint64_t stable_identity(std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a: fixed, unlike std::hash across builds
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::shared_ptr<const DomainTable> DomainTable::build(const config::Config& config, std::vector<std::string>& errors) {
    auto table = std::make_shared<DomainTable>();
    DomainCompiler compiler(config, errors);
    const auto before = errors.size();
    for (const auto& customer : config.customers) {
        for (const auto& domain : customer.domains) table->domains_.push_back(compiler.compile(customer, domain));
    }
    for (auto& domain : table->domains_) {
        domain.identity = stable_identity(domain.name);
        for (auto& candidate : domain.candidates) candidate.identity = stable_identity(candidate.key);
    }
    if (errors.size() != before) return nullptr;
    return table;
}

int DomainTable::find(std::string_view name) const {
    for (std::size_t i = 0; i < domains_.size(); ++i) {
        if (domains_[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

}  // namespace udn::dns::gslb
