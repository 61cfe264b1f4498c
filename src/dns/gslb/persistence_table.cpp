#include "dns/gslb/persistence_table.hpp"

#include <algorithm>

namespace udn::dns::gslb {
namespace {

std::uint64_t entry_key(std::uint64_t domain_identity, std::uint64_t client_key) {
    std::uint64_t key = client_key ^ (domain_identity * 0x9E3779B97F4A7C15ULL);
    key ^= key >> 31;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 29;
    return key;
}

}  // namespace

// Any multiple of the probe window (not only powers of two), so memory follows the configured
// `dns.persistence_entries`.
PersistenceTable::PersistenceTable(std::size_t capacity)
    : capacity_((std::max<std::size_t>(capacity, 64) + probe_window - 1) / probe_window * probe_window),
      entries_(capacity_) {}

std::size_t PersistenceTable::home_of(std::uint64_t key) const {
    return ((key >> 7) % (capacity_ / probe_window)) * probe_window;
}

std::optional<std::uint64_t> PersistenceTable::lookup(std::uint64_t domain_identity, std::uint64_t client_key,
                                                      std::int64_t now_ms) const {
    const auto home = home_of(entry_key(domain_identity, client_key));
    std::lock_guard lock(stripes_[(home / probe_window) % stripe_count]);
    for (std::size_t i = 0; i < probe_window; ++i) {
        const auto& entry = entries_[home + i];
        if (entry.client_key == client_key && entry.domain == domain_identity && entry.expires_at_ms > now_ms) {
            return entry.candidate;
        }
    }
    return std::nullopt;
}

PersistenceTable::Entry& PersistenceTable::slot_for(std::size_t home, std::uint64_t domain_identity,
                                                    std::uint64_t client_key) {
    Entry* target = &entries_[home];
    for (std::size_t i = 0; i < probe_window; ++i) {
        auto& entry = entries_[home + i];
        if (entry.client_key == client_key && entry.domain == domain_identity) return entry;
        if (entry.expires_at_ms < target->expires_at_ms) target = &entry;
    }
    return *target;
}

void PersistenceTable::overwrite(Entry& slot, const Entry& entry, std::int64_t now_ms) {
    const bool same = slot.client_key == entry.client_key && slot.domain == entry.domain;
    if (!same && slot.expires_at_ms > now_ms) evictions_.fetch_add(1, std::memory_order_relaxed);
    slot = entry;
}

void PersistenceTable::remember(std::uint64_t domain_identity, std::uint64_t client_key,
                                std::uint64_t candidate_identity, std::int64_t expires_at_ms, std::int64_t now_ms) {
    const auto home = home_of(entry_key(domain_identity, client_key));
    std::lock_guard lock(stripes_[(home / probe_window) % stripe_count]);
    overwrite(slot_for(home, domain_identity, client_key),
              {domain_identity, client_key, candidate_identity, expires_at_ms}, now_ms);
}

bool PersistenceTable::adopt(std::uint64_t domain_identity, std::uint64_t client_key, std::uint64_t candidate_identity,
                             std::int64_t expires_at_ms, std::int64_t now_ms) {
    if (expires_at_ms <= now_ms) return false;
    expires_at_ms = std::min(expires_at_ms, now_ms + longest_window_ms);
    const auto home = home_of(entry_key(domain_identity, client_key));
    std::lock_guard lock(stripes_[(home / probe_window) % stripe_count]);
    auto& slot = slot_for(home, domain_identity, client_key);
    const bool own_live = slot.client_key == client_key && slot.domain == domain_identity && slot.expires_at_ms > now_ms;
    if (own_live) return false;
    overwrite(slot, {domain_identity, client_key, candidate_identity, expires_at_ms}, now_ms);
    return true;
}

}  // namespace udn::dns::gslb
