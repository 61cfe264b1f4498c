// The GSLB view of the configuration: for every customer domain, the candidate servers it
// chooses among (origins for dynamic names; POP caches, plus the origins when they compete,
// for static names) with their addresses, weights, backup flags, costs and POPs, and the
// static client mappings resolved to candidate indexes. Built once per configuration snapshot.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/net/ip_address.hpp"

namespace udn::dns::gslb {

inline constexpr std::size_t max_candidates = 64;

struct Candidate {
    std::string key;    // observation key: "server/<name>" or "origin/<customer>/<origin>"
    std::uint64_t identity = 0;  // hash of `key`: the same across reloads (persistence keys on it)
    std::string label;  // for explanations
    std::vector<net::IpAddress> addresses;
    std::string pop;    // the POP a cache lives in; empty for origins
    std::uint32_t weight = 100;
    bool backup = false;
    double cost = 0;
};

struct StaticMappingSet {
    net::Cidr client;
    std::vector<std::uint8_t> candidates;  // indexes into CompiledDomain::candidates
};

struct CompiledDomain {
    std::string name;
    std::uint64_t identity = 0;  // hash of the lower-case name: the same across reloads
    config::DomainKind kind = config::DomainKind::dynamic_name;
    config::Policy policy;
    std::vector<Candidate> candidates;
    std::vector<StaticMappingSet> mappings;
    // Every static mapping and coverage zone is a whole client bucket (/24, /48) or larger, so
    // all clients of a bucket get the same ranking and it may be cached per bucket.
    bool rank_per_bucket = true;
};

// A hash of `text` (ASCII case ignored) that does not depend on the build or the process.
std::uint64_t stable_identity(std::string_view text);

// Observation key of a server and of a customer's origin (probe reports use the same keys).
std::string server_key(std::string_view server);
std::string origin_key(std::string_view customer, std::string_view origin);

class DomainTable {
public:
    // Same order as zone::ZoneSet::flatten_domains. Null with messages in `errors` on mistakes.
    static std::shared_ptr<const DomainTable> build(const config::Config& config, std::vector<std::string>& errors);

    const CompiledDomain& domain(std::size_t index) const { return domains_[index]; }
    std::size_t size() const { return domains_.size(); }
    // Index of a domain by lower-case name, or -1.
    int find(std::string_view name) const;

private:
    std::vector<CompiledDomain> domains_;
};

}  // namespace udn::dns::gslb
