// A worker's cache of GSLB rankings per (name, answer family, client bucket): most queries
// reuse the ranked candidate set instead of re-assessing health, latency and scores, and only
// draw the weighted pick (and apply persistence), so weights, failover and persistence behave
// exactly as with decide(). An entry is used only while nothing it was computed from changed:
// the caller's epoch (configuration and probe-observation snapshots), the client bucket's
// latency version, and the clock (valid_until_ms, when a fresh input would turn stale).
// One per worker thread: no locks, no allocation after construction.
#pragma once
#include <cstdint>
#include <vector>

#include "dns/gslb/engine.hpp"

namespace udn::dns::gslb {

class RankingCache {
public:
    // `entries` is rounded up to a power of two; `seed` scatters the slots per worker.
    explicit RankingCache(std::size_t entries = 4096, std::uint64_t seed = 0);

    // decide() through the cache. `epoch` must change whenever inputs.config or
    // inputs.observations is a different snapshot.
    Decision decide(const CompiledDomain& domain, std::size_t domain_index, net::IpAddress::Family family,
                    const Client& client, const EngineInputs& inputs, RandomState& random, std::uint64_t epoch);

    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }

private:
    struct Entry {
        std::uint64_t prefix_key = 0;  // 0: empty
        std::uint64_t epoch = 0;
        std::uint32_t domain_index = 0;
        std::uint32_t latency_version = 0;
        net::IpAddress::Family family = net::IpAddress::Family::v4;
        Ranking ranking;
    };

    std::vector<Entry> entries_;
    std::uint64_t mask_;
    std::uint64_t seed_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

}  // namespace udn::dns::gslb
