// Remembers which candidate a client prefix was given for a name, so that the same client gets
// the same answer for the policy's persistence window unless that server fails. Fixed memory,
// striped locks, no allocation. Names and candidates are identified by hashes of their names
// (CompiledDomain/Candidate::identity), not by their positions in a configuration snapshot, so
// a reload (every configuration push) keeps each client on its server while that server stays
// configured for the name; a candidate that is gone simply matches nothing any more.
#pragma once
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace udn::dns::gslb {

class PersistenceTable {
public:
    explicit PersistenceTable(std::size_t capacity);

    // The identity of the candidate the client was given, while its window lasts.
    std::optional<std::uint64_t> lookup(std::uint64_t domain_identity, std::uint64_t client_key,
                                        std::int64_t now_ms) const;
    void remember(std::uint64_t domain_identity, std::uint64_t client_key, std::uint64_t candidate_identity,
                  std::int64_t expires_at_ms);

private:
    struct Entry {
        std::uint64_t key = 0;
        std::int64_t expires_at_ms = 0;
        std::uint64_t candidate = 0;
    };
    static constexpr std::size_t probe_window = 4;
    static constexpr std::size_t stripe_count = 64;
    std::size_t home_of(std::uint64_t key) const;

    std::size_t capacity_;
    std::vector<Entry> entries_;
    mutable std::array<std::mutex, stripe_count> stripes_;
};

}  // namespace udn::dns::gslb
