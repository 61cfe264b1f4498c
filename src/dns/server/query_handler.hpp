// Turns one query into one response: the authoritative logic (REFUSED outside our zones,
// NXDOMAIN/NODATA with the SOA, CNAME chains inside our data, referrals, minimal ANY, EDNS and
// ECS, truncation for UDP) with GSLB decisions for customer names. One handler per worker
// thread; it owns its random state, snapshot readers and GSLB ranking cache and never
// allocates per query.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "common/net/ip_address.hpp"
#include "dns/cluster/forwarder.hpp"
#include "dns/gslb/engine.hpp"
#include "dns/gslb/ranking_cache.hpp"
#include "dns/server/serving_state.hpp"
#include "dns/wire/query.hpp"

namespace udn::dns::server {

enum class Transport : std::uint8_t { udp, tcp };

inline constexpr std::uint16_t our_udp_size_bytes = 1232;  // DNS flag day 2020 recommendation
inline constexpr std::size_t response_buffer_bytes = 65535;

// What answering a query found, besides the query itself: reset for every query on its own,
// since resetting a whole QueryInfo built and copied a Query (its name's 255-byte buffer) that
// parse_query resets anyway.
struct QueryOutcome {
    bool parsed = false;
    std::uint16_t rcode = 0;
    bool truncated = false;
    int gslb_domain = -1;
    // The question's name as the query log writes it, when it named a node (the zone snapshot
    // holds the text; valid until the next query), else empty: the log formats the name then.
    std::string_view qname_log_text;
    const net::IpAddress* first_answer = nullptr;  // GSLB answers only; valid until the next query
    std::uint8_t scope_prefix_length = 0;
    int forward_to = -1;  // ring member owning the client: the query goes there, unanswered here
    const cluster::Ring* forward_ring = nullptr;  // the ring of forward_to, valid until the next query
};

// What happened, for counters and the query log.
struct QueryInfo : QueryOutcome {
    wire::Query query;
};

// A seed for a handler's weighted picks, from the OS's entropy: the DNS servers of a network
// (and the workers of one) must not draw the same sequence of picks.
std::uint64_t fresh_handler_seed(std::size_t worker_index);

class QueryHandler {
public:
    QueryHandler(SharedState& shared, std::uint64_t random_seed);

    // Writes the response into `out` (at least response_buffer_bytes for TCP, 1232+ for UDP)
    // and returns its size; 0 means "send nothing". With a `forwarder`, a GSLB query whose client
    // prefix another DNS server owns is not answered: info.forward_to names the owner instead.
    std::size_t handle(std::span<const std::uint8_t> query, const net::IpAddress& source, Transport transport,
                       std::span<std::uint8_t> out, std::int64_t now_ms, QueryInfo& info,
                       const cluster::Forwarder* forwarder = nullptr);

    // The snapshot the handler answers from; held by the caller across handle() calls, which
    // may move on to a newer one.
    std::shared_ptr<const ServingState> serving() { return serving_.shared(); }

private:
    SharedState& shared_;
    SnapshotReader<ServingState> serving_;
    SnapshotReader<gslb::ObservationView> observations_;
    gslb::RandomState random_;
    gslb::RankingCache rankings_;
    // Bumped when the serving or observation snapshot is a different object (the reader holds
    // the current one, so a new snapshot can never reuse its address).
    std::uint64_t epoch_ = 1;
    const ServingState* seen_serving_ = nullptr;
    const gslb::ObservationView* seen_observations_ = nullptr;
};

}  // namespace udn::dns::server
