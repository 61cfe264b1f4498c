// Remembers which candidate a client prefix was given for a name, so that the same client gets
// the same answer for the policy's persistence window unless that server fails. Fixed memory,
// striped locks, no allocation. Names and candidates are identified by hashes of their names
// (CompiledDomain/Candidate::identity), not by their positions in a configuration snapshot, so
// a reload (every configuration push) keeps each client on its server while that server stays
// configured for the name; a candidate that is gone simply matches nothing any more.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
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
    // An entry of another client or name still in its window, when it is the one overwritten, is
    // counted in evictions().
    void remember(std::uint64_t domain_identity, std::uint64_t client_key, std::uint64_t candidate_identity,
                  std::int64_t expires_at_ms, std::int64_t now_ms);
    // Takes an entry another DNS server held for a client this one now owns, unless this one
    // already decided for that client (its own decision is what the client was last told).
    // Returns whether it was taken.
    // The expiry is clamped to now + the longest window a configuration can set (schema:
    // persistence_s ≤ 604800), so a forged handover cannot pin a client beyond what an operator could.
    static constexpr std::int64_t longest_window_ms = std::int64_t{604800} * 1000;
    bool adopt(std::uint64_t domain_identity, std::uint64_t client_key, std::uint64_t candidate_identity,
               std::int64_t expires_at_ms, std::int64_t now_ms);

    // Windows cut short because the table had no room (the oldest of a full probe window was
    // overwritten): while this grows, `dns.persistence_entries` is too small for this server's
    // clients and persistent names.
    std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return capacity_; }
    std::size_t memory_bytes() const { return capacity_ * sizeof(Held) + sizeof(*this); }

    struct Held {
        std::uint64_t domain = 0;
        std::uint64_t client_key = 0;
        std::uint64_t candidate = 0;
        std::int64_t expires_at_ms = 0;
    };
    // Calls `visit(const Held&)` for every entry whose window is still open in probe windows
    // [first_window, end_window), each under its stripe (a query waits for at most one probe
    // window's walk). A large table is walked a range at a time.
    template <typename Visit>
    void for_each_live(std::int64_t now_ms, std::size_t first_window, std::size_t end_window,
                       const Visit& visit) const {
        for (std::size_t window = first_window; window < std::min(end_window, window_count()); ++window) {
            std::lock_guard lock(stripes_[window % stripe_count]);
            for (std::size_t i = 0; i < probe_window; ++i) {
                const auto& entry = entries_[window * probe_window + i];
                if (entry.expires_at_ms > now_ms) visit(entry);
            }
        }
    }
    template <typename Visit>
    void for_each_live(std::int64_t now_ms, const Visit& visit) const {
        for_each_live(now_ms, 0, window_count(), visit);
    }
    std::size_t window_count() const { return capacity_ / probe_window; }

private:
    // The client key is kept whole (not only hashed with the name) so that a server can tell
    // whose entries to hand over when the ring of DNS servers changes. Empty: expires_at_ms 0.
    using Entry = Held;
    static constexpr std::size_t probe_window = 4;
    static constexpr std::size_t stripe_count = 64;
    std::size_t home_of(std::uint64_t key) const;
    // The window's entry for this client and name, else the one that expires first (the one
    // to overwrite). The caller holds the window's stripe.
    Entry& slot_for(std::size_t home, std::uint64_t domain_identity, std::uint64_t client_key);
    // Writes `entry` into `slot`, counting a live window of another client or name it ends.
    void overwrite(Entry& slot, const Entry& entry, std::int64_t now_ms);

    std::size_t capacity_;
    std::vector<Entry> entries_;
    mutable std::array<std::mutex, stripe_count> stripes_;
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace udn::dns::gslb
