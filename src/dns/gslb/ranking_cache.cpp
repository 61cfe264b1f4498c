// Direct-mapped ranking cache; see ranking_cache.hpp.
#include "dns/gslb/ranking_cache.hpp"

#include <algorithm>
#include <bit>

namespace udn::dns::gslb {

RankingCache::RankingCache(std::size_t entries, std::uint64_t seed)
    : entries_(std::bit_ceil(std::max<std::size_t>(entries, 16))), mask_(entries_.size() - 1),
      seed_(seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL) {}

Decision RankingCache::decide(const CompiledDomain& domain, std::size_t domain_index, net::IpAddress::Family family,
                              const Client& client, const EngineInputs& inputs, RandomState& random,
                              std::uint64_t epoch) {
    if (!domain.rank_per_bucket) return gslb::decide(domain, family, client, inputs, random);
    const auto prefix_key = client_prefix_key(client.address);
    const auto family_bit = family == net::IpAddress::Family::v6 ? 1ULL : 0ULL;
    std::uint64_t slot = (prefix_key ^ seed_) + domain_index * 0xBF58476D1CE4E5B9ULL + family_bit;
    slot ^= slot >> 31;
    slot *= 0x94D049BB133111EBULL;
    slot ^= slot >> 29;
    auto& entry = entries_[slot & mask_];
    const std::uint32_t latency_version = inputs.latency != nullptr ? inputs.latency->version(prefix_key) : 0;
    if (entry.prefix_key == prefix_key && entry.domain_index == domain_index && entry.family == family &&
        entry.epoch == epoch && entry.latency_version == latency_version && inputs.now_ms < entry.ranking.valid_until_ms) {
        ++hits_;
    } else {
        ++misses_;
        entry.prefix_key = prefix_key;
        entry.domain_index = static_cast<std::uint32_t>(domain_index);
        entry.family = family;
        entry.epoch = epoch;
        entry.latency_version = latency_version;  // read before rank() looks the latency up
        entry.ranking = rank(domain, family, client, inputs);
    }
    return pick(domain, family, client, entry.ranking, inputs, random);
}

}  // namespace udn::dns::gslb
