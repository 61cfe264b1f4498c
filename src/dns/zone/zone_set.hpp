// Every zone this server is authoritative for, built once per configuration snapshot: the
// network's own zone (SOA, NS, server names, service names such as log.<domain>), the CDN zone,
// and each customer's zones (GSLB names, extra records). Lookups take lower-cased names and
// never allocate.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"
#include "dns/wire/name.hpp"
#include "dns/zone/node_index.hpp"
#include "dns/zone/record.hpp"

namespace udn::dns::zone {

struct Zone {
    wire::Name apex;  // lower case
    StoredRecord soa;
    std::uint32_t negative_ttl_s = 60;
    bool has_delegations = false;
};

struct Node {
    wire::Name owner;                  // lower case
    // The owner as the query log writes it (lower case, escaped, no trailing dot), made once with
    // the zone: a question that names this node is logged with a copy of it instead of formatting
    // the name byte by byte, which was the log's largest cost per query.
    std::string log_text;
    std::size_t zone_index = 0;        // the zone with the longest apex above the name
    std::vector<StoredRecord> records; // static data, in configuration order
    int gslb_domain = -1;              // index into the flattened customer domains, or -1
    bool is_delegation = false;        // NS records below an apex: answers are referrals

    bool has_type(std::uint16_t type) const;
};

// Transparent hashing so lookups by std::string_view never build a std::string.
struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

class ZoneSet {
public:
    ZoneSet() = default;
    ZoneSet(const ZoneSet&) = delete;  // the node index points into this set's own nodes
    ZoneSet& operator=(const ZoneSet&) = delete;

    // Builds from the configuration; on mistakes returns null and appends one message per
    // mistake (what, where, how to fix) to `errors`.
    static std::shared_ptr<const ZoneSet> build(const config::Config& config, std::vector<std::string>& errors);

    // The zone with the longest apex that contains `lowered`, or null (not ours: REFUSED).
    const Zone* find_zone(const wire::Name& lowered, std::size_t& zone_index) const;
    const Node* find_node(const wire::Name& lowered) const;
    const Zone& zone(std::size_t index) const { return zones_[index]; }
    std::size_t zone_count() const { return zones_.size(); }
    std::size_t node_count() const { return nodes_.size(); }

    // The flattened customer domains in the order gslb_domain indexes them.
    static std::vector<std::pair<const config::Customer*, const config::Domain*>> flatten_domains(
        const config::Config& config);

private:
    std::vector<Zone> zones_;
    std::unordered_map<std::string, std::size_t, KeyHash, std::equal_to<>> zone_by_apex_;
    std::unordered_map<std::string, Node, KeyHash, std::equal_to<>> nodes_;  // owns them
    NodeIndex node_index_;  // what find_node reads
    std::size_t max_apex_labels_ = 0;

    friend class ZoneSetBuilder;
};

}  // namespace udn::dns::zone
