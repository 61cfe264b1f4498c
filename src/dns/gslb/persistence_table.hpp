// Remembers which candidate a client prefix was given for a name, so that the same client gets
// the same answer for the policy's persistence window unless that server fails. Fixed memory,
// striped locks, no allocation; entries from an older configuration generation are ignored.
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

    std::optional<std::uint8_t> lookup(std::size_t domain_index, std::uint64_t client_key, std::uint64_t generation,
                                       std::int64_t now_ms) const;
    void remember(std::size_t domain_index, std::uint64_t client_key, std::uint64_t generation,
                  std::uint8_t candidate, std::int64_t expires_at_ms);

private:
    struct Entry {
        std::uint64_t key = 0;
        std::uint64_t generation = 0;
        std::int64_t expires_at_ms = 0;
        std::uint8_t candidate = 0;
    };
    static constexpr std::size_t probe_window = 4;
    static constexpr std::size_t stripe_count = 64;
    std::size_t home_of(std::uint64_t key) const;

    std::size_t capacity_;
    std::vector<Entry> entries_;
    mutable std::array<std::mutex, stripe_count> stripes_;
};

}  // namespace udn::dns::gslb
