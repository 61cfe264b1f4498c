// Latency and packet loss from each POP's latency probe to client prefixes (resolver /24 or /48, or the ECS
// subnet), for up to millions of prefixes in fixed memory: an open-addressed table allocated
// once, striped locks, no allocation on insert or lookup. Old entries are overwritten when
// the probe window is full. Each bucket carries a version that every record() bumps, so a
// reader that keeps something derived from a lookup can tell, with one atomic load and no
// lock, that it may still use it.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/net/ip_address.hpp"

namespace udn::dns::gslb {

inline constexpr unsigned latency_prefix_v4 = 24;
inline constexpr unsigned latency_prefix_v6 = 48;
// A loss figure nobody measured (a version-1 latency probe): distinct from 0, which is measured.
inline constexpr std::uint16_t loss_not_measured = 0xFFFF;

// The client bucket of an address: family bit plus the first 24 (IPv4) or 48 (IPv6) bits.
std::uint64_t client_prefix_key(const net::IpAddress& address);
net::IpAddress client_prefix_address(std::uint64_t key);

// A POP's column of the table as a writer found it in its serving snapshot: the slot, and that
// slot's epoch then (LatencyTable::slot_epoch). Giving a slot to another POP clears it and moves
// its epoch, so a write through a claim taken before that (a probe result or handover that a
// thread ingests with the previous snapshot) is dropped instead of putting the old POP's numbers
// under the new one.
struct SlotClaim {
    std::size_t slot = 0;
    std::uint32_t epoch = 0;
};

// Which slot holds each POP (by configuration position) and each slot's epoch, as one serving
// snapshot saw them. Empty `slot_of_pop`: slot p for position p; empty `epoch_of_slot`: epoch 0,
// a table's epoch until its first clear_pop.
struct SlotMap {
    std::span<const std::uint8_t> slot_of_pop;
    std::span<const std::uint32_t> epoch_of_slot;

    SlotClaim claim(std::size_t position) const;
};

class LatencyTable {
public:
    // `pop_count` POP slots per prefix (which POP is in which slot: PopSlots); room for
    // `capacity` prefixes (rounded up to whole buckets).
    LatencyTable(std::size_t pop_count, std::size_t capacity);

    // loss_permille: 0..1000 (kept to 4 permille), or loss_not_measured. False when the claim's
    // slot has been cleared since the claim was taken (or is not a slot): nothing is written.
    bool record(std::uint64_t prefix_key, SlotClaim claim, std::uint32_t latency_ms,
                std::uint32_t measured_at_s, std::uint16_t loss_permille = loss_not_measured);
    // Into slot `pop_index` as it is now, for a writer that holds no serving snapshot (tests,
    // bench/dns/latency_memory); the server writes through claims.
    void record(std::uint64_t prefix_key, std::size_t pop_index, std::uint32_t latency_ms,
                std::uint32_t measured_at_s, std::uint16_t loss_permille = loss_not_measured) {
        record(prefix_key, SlotClaim{pop_index, slot_epoch(pop_index)}, latency_ms, measured_at_s,
               loss_permille);
    }
    // Takes a measurement another DNS server held for a client prefix this one now owns, unless
    // this one holds a measurement of that prefix from that POP at least as recent, or the claim
    // is outdated (record). Returns whether it was taken.
    bool adopt(std::uint64_t prefix_key, SlotClaim claim, std::uint32_t latency_ms,
               std::uint32_t measured_at_s, std::uint16_t loss_permille);

    struct Measurement {
        std::uint64_t prefix_key = 0;
        std::size_t pop_index = 0;  // the slot
        std::uint32_t latency_ms = 0;
        std::uint32_t measured_at_s = 0;
        std::uint16_t loss_permille = loss_not_measured;
    };
    // Calls `visit(const Measurement&)` for every measurement taken at `since_s` or later in
    // buckets [first_bucket, end_bucket), one bucket at a time under its stripe (a query waits
    // for at most one bucket's walk). A large table is walked a range at a time.
    template <typename Visit>
    void for_each_measured(std::uint32_t since_s, std::size_t first_bucket, std::size_t end_bucket,
                           const Visit& visit) const {
        for (std::size_t bucket = first_bucket; bucket < std::min(end_bucket, bucket_count_); ++bucket) {
            std::lock_guard lock(stripes_[bucket % stripe_count]);
            for (std::size_t entry = bucket * bucket_slots; entry < (bucket + 1) * bucket_slots; ++entry) {
                if (keys_[entry] == 0) continue;
                for (std::size_t slot = 0; slot < pop_count_; ++slot) {
                    const auto at = entry * pop_count_ + slot;
                    if (latency_ms_[at] == no_sample || measured_at_s_[at] < since_s) continue;
                    visit(Measurement{keys_[entry], slot, latency_ms_[at], measured_at_s_[at],
                                      loss_quarters_[at] == no_loss ? loss_not_measured
                                                                    : static_cast<std::uint16_t>(loss_quarters_[at] * 4)});
                }
            }
        }
    }
    template <typename Visit>
    void for_each_measured(std::uint32_t since_s, const Visit& visit) const {
        for_each_measured(since_s, 0, bucket_count_, visit);
    }
    std::size_t bucket_count() const { return bucket_count_; }

    // Fills latency_ms/measured_at_s and, when given, loss_permille by POP position: entry p
    // from slot slots[p] (no_latency_slot: no sample), or from slot p when `slots` is empty
    // (each array of size slots.size(), or pop_count()); false when the prefix is unknown.
    bool lookup(std::uint64_t prefix_key, std::span<const std::uint8_t> slots, std::uint32_t* latency_ms,
                std::uint32_t* measured_at_s, std::uint16_t* loss_permille = nullptr) const;
    // Slot p for position p.
    bool lookup(std::uint64_t prefix_key, std::uint32_t* latency_ms, std::uint32_t* measured_at_s,
                std::uint16_t* loss_permille = nullptr) const {
        return lookup(prefix_key, {}, latency_ms, measured_at_s, loss_permille);
    }

    // Changes whenever the data `lookup(prefix_key)` returns may have changed. Read it before
    // the lookup whose result is kept.
    std::uint32_t version(std::uint64_t prefix_key) const {
        return versions_[bucket_start(prefix_key) / bucket_slots].load(std::memory_order_acquire);
    }

    // Forgets every client's measurement in slot `pop_index` (and moves every bucket's
    // version): a slot given to another POP must not pass on its numbers. Moves the slot's epoch
    // first, so that no write through an older claim lands after the clear has passed its bucket.
    // Takes each stripe in turn (O(capacity), reloads only), never all at once.
    void clear_pop(std::size_t pop_index);
    // How many times slot `pop_index` has been cleared (0 for no slot).
    std::uint32_t slot_epoch(std::size_t pop_index) const {
        return pop_index < pop_count_ ? slot_epochs_[pop_index].load(std::memory_order_acquire) : 0;
    }

    std::size_t pop_count() const { return pop_count_; }
    std::size_t capacity() const { return capacity_; }
    std::size_t memory_bytes() const;
    // Prefixes held (slots never emptied: only overwritten).
    std::size_t size() const;
    // Prefixes whose measurements, still fresh, were overwritten to make room for another (their
    // bucket was full): while this grows, `dns.latency_prefixes` is too small for the clients this
    // server owns, and an evicted prefix gets the fallback until it is measured again.
    std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
    // How long a measurement is used (probe.latency_staleness_s): an entry whose newest
    // measurement is older is taken over without counting as an eviction.
    void set_staleness_s(std::uint32_t staleness_s) { staleness_s_.store(staleness_s, std::memory_order_relaxed); }

private:
    static constexpr std::uint16_t no_sample = 0xFFFF;
    static constexpr std::uint8_t no_loss = 0xFF;
    static constexpr std::size_t bucket_slots = 16;  // a prefix lives in one bucket of its hash
    static constexpr std::size_t stripe_count = 256;
    std::size_t bucket_start(std::uint64_t key) const;
    std::size_t entry_for(std::size_t home, std::uint64_t prefix_key, std::uint32_t now_s);
    void store(std::size_t home, std::uint64_t prefix_key, std::size_t pop_index, std::uint32_t latency_ms,
               std::uint32_t measured_at_s, std::uint16_t loss_permille);

    std::size_t pop_count_;
    std::size_t bucket_count_;
    std::size_t capacity_;
    std::vector<std::uint64_t> keys_;       // 0 = empty
    std::vector<std::uint16_t> latency_ms_; // capacity * pop_count; 0xFFFF = no sample
    std::vector<std::uint32_t> measured_at_s_;
    // capacity * pop_count, in units of 4 permille (a byte per POP keeps 1M prefixes x 16 POPs
    // under 200 MB; 0.4 % is finer than any loss a handful of probes can measure); 0xFF = none.
    std::vector<std::uint8_t> loss_quarters_;
    std::vector<std::atomic<std::uint32_t>> versions_;  // one per bucket
    std::vector<std::atomic<std::uint32_t>> slot_epochs_;  // one per slot
    mutable std::array<std::mutex, stripe_count> stripes_;
    std::atomic<std::uint64_t> occupied_{0};
    std::atomic<std::uint64_t> evictions_{0};
    std::atomic<std::uint32_t> staleness_s_{3600};
};

}  // namespace udn::dns::gslb
