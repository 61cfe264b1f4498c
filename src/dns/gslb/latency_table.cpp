#include "dns/gslb/latency_table.hpp"

#include <algorithm>

#include "dns/gslb/pop_slots.hpp"

namespace udn::dns::gslb {
namespace {

std::uint64_t mix(std::uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

}  // namespace

std::uint64_t client_prefix_key(const net::IpAddress& address) {
    const auto& bytes = address.bytes();
    std::uint64_t key = 0;
    const std::size_t count = address.is_v4() ? 3 : 6;
    for (std::size_t i = 0; i < count; ++i) key = (key << 8) | bytes[i];
    // Top bit marks IPv6, the next marks "occupied" so that no real key is 0.
    return key | (address.is_v4() ? 0 : (1ULL << 63)) | (1ULL << 62);
}

net::IpAddress client_prefix_address(std::uint64_t key) {
    const bool v6 = (key >> 63) != 0;
    if (!v6) {
        return net::IpAddress::v4({static_cast<std::uint8_t>(key >> 16), static_cast<std::uint8_t>(key >> 8),
                                   static_cast<std::uint8_t>(key), 0});
    }
    std::array<std::uint8_t, 16> bytes{};
    for (int i = 0; i < 6; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(key >> (40 - 8 * i));
    return net::IpAddress::v6(bytes);
}

LatencyTable::LatencyTable(std::size_t pop_count, std::size_t capacity)
    : pop_count_(std::max<std::size_t>(pop_count, 1)),
      bucket_count_((std::max<std::size_t>(capacity, 64) + bucket_slots - 1) / bucket_slots),
      capacity_(bucket_count_ * bucket_slots),
      keys_(capacity_, 0),
      latency_ms_(capacity_ * pop_count_, no_sample),
      measured_at_s_(capacity_ * pop_count_, 0),
      loss_quarters_(capacity_ * pop_count_, no_loss),
      versions_(bucket_count_),
      slot_epochs_(pop_count_) {}

SlotClaim SlotMap::claim(std::size_t position) const {
    const std::size_t slot = slot_of_pop.empty()             ? position
                             : position < slot_of_pop.size() ? slot_of_pop[position]
                                                             : std::size_t{no_latency_slot};
    return {slot, slot < epoch_of_slot.size() ? epoch_of_slot[slot] : 0};
}

// Any bucket count (not only powers of two), so memory follows the configured capacity.
std::size_t LatencyTable::bucket_start(std::uint64_t key) const { return (mix(key) % bucket_count_) * bucket_slots; }

// The entry of `prefix_key` in the bucket at `home`; when it has none, a free entry or else the
// one whose newest measurement is oldest, emptied for it. The caller holds the bucket's stripe.
std::size_t LatencyTable::entry_for(std::size_t home, std::uint64_t prefix_key, std::uint32_t now_s) {
    std::size_t target = home;
    std::uint32_t oldest = UINT32_MAX;
    for (std::size_t i = 0; i < bucket_slots; ++i) {
        const std::size_t slot = home + i;
        if (keys_[slot] == prefix_key || keys_[slot] == 0) {
            target = slot;
            break;
        }
        const auto* times = &measured_at_s_[slot * pop_count_];
        const auto newest = *std::max_element(times, times + pop_count_);
        if (newest < oldest) {
            oldest = newest;
            target = slot;
        }
    }
    if (keys_[target] != prefix_key) {
        // Only a prefix with a measurement still in use is lost: stale ones would be measured again.
        if (keys_[target] == 0) {
            occupied_.fetch_add(1, std::memory_order_relaxed);
        } else if (std::uint64_t{oldest} + staleness_s_.load(std::memory_order_relaxed) >= now_s) {
            evictions_.fetch_add(1, std::memory_order_relaxed);
        }
        keys_[target] = prefix_key;
        std::fill_n(&latency_ms_[target * pop_count_], pop_count_, no_sample);
        std::fill_n(&measured_at_s_[target * pop_count_], pop_count_, 0u);
        std::fill_n(&loss_quarters_[target * pop_count_], pop_count_, no_loss);
    }
    return target;
}

void LatencyTable::store(std::size_t home, std::uint64_t prefix_key, std::size_t pop_index, std::uint32_t latency_ms,
                         std::uint32_t measured_at_s, std::uint16_t loss_permille) {
    // The measurement's time stands for now: results and handovers arrive as they are taken.
    const auto at = entry_for(home, prefix_key, measured_at_s) * pop_count_ + pop_index;
    latency_ms_[at] = static_cast<std::uint16_t>(std::min<std::uint32_t>(latency_ms, 0xFFFE));
    measured_at_s_[at] = measured_at_s;
    loss_quarters_[at] = loss_permille <= 1000 ? static_cast<std::uint8_t>((loss_permille + 2) / 4) : no_loss;
    versions_[home / bucket_slots].fetch_add(1, std::memory_order_release);
}

// One stripe lock guards a whole bucket. The claim is checked under it: clear_pop moves the
// epoch before it takes the stripe, so either this write sees the new epoch and is dropped, or it
// came first and the clear wipes it.
bool LatencyTable::record(std::uint64_t prefix_key, SlotClaim claim, std::uint32_t latency_ms,
                          std::uint32_t measured_at_s, std::uint16_t loss_permille) {
    if (claim.slot >= pop_count_) return false;
    const std::size_t home = bucket_start(prefix_key);
    std::lock_guard lock(stripes_[(home / bucket_slots) % stripe_count]);
    if (slot_epochs_[claim.slot].load(std::memory_order_acquire) != claim.epoch) return false;
    store(home, prefix_key, claim.slot, latency_ms, measured_at_s, loss_permille);
    return true;
}

bool LatencyTable::adopt(std::uint64_t prefix_key, SlotClaim claim, std::uint32_t latency_ms,
                         std::uint32_t measured_at_s, std::uint16_t loss_permille) {
    if (claim.slot >= pop_count_) return false;
    const std::size_t home = bucket_start(prefix_key);
    std::lock_guard lock(stripes_[(home / bucket_slots) % stripe_count]);
    if (slot_epochs_[claim.slot].load(std::memory_order_acquire) != claim.epoch) return false;
    const auto pop_index = claim.slot;
    for (std::size_t entry = home; entry < home + bucket_slots; ++entry) {
        if (keys_[entry] != prefix_key) continue;
        const auto at = entry * pop_count_ + pop_index;
        if (latency_ms_[at] != no_sample && measured_at_s_[at] >= measured_at_s) return false;
        break;
    }
    store(home, prefix_key, pop_index, latency_ms, measured_at_s, loss_permille);
    return true;
}

void LatencyTable::clear_pop(std::size_t pop_index) {
    if (pop_index >= pop_count_) return;
    slot_epochs_[pop_index].fetch_add(1, std::memory_order_acq_rel);
    for (std::size_t bucket = 0; bucket < bucket_count_; ++bucket) {
        std::lock_guard lock(stripes_[bucket % stripe_count]);
        for (std::size_t slot = bucket * bucket_slots; slot < (bucket + 1) * bucket_slots; ++slot) {
            latency_ms_[slot * pop_count_ + pop_index] = no_sample;
            measured_at_s_[slot * pop_count_ + pop_index] = 0;
            loss_quarters_[slot * pop_count_ + pop_index] = no_loss;
        }
        versions_[bucket].fetch_add(1, std::memory_order_release);
    }
}

bool LatencyTable::lookup(std::uint64_t prefix_key, std::span<const std::uint8_t> slots, std::uint32_t* latency_ms,
                          std::uint32_t* measured_at_s, std::uint16_t* loss_permille) const {
    const std::size_t home = bucket_start(prefix_key);
    std::lock_guard lock(stripes_[(home / bucket_slots) % stripe_count]);
    for (std::size_t i = 0; i < bucket_slots; ++i) {
        const std::size_t entry = home + i;
        if (keys_[entry] != prefix_key) continue;
        const std::size_t positions = slots.empty() ? pop_count_ : slots.size();
        for (std::size_t p = 0; p < positions; ++p) {
            const std::size_t column = slots.empty() ? p : slots[p];
            if (column >= pop_count_) {
                latency_ms[p] = UINT32_MAX;
                measured_at_s[p] = 0;
                if (loss_permille != nullptr) loss_permille[p] = loss_not_measured;
                continue;
            }
            const auto at = entry * pop_count_ + column;
            latency_ms[p] = latency_ms_[at] == no_sample ? UINT32_MAX : latency_ms_[at];
            measured_at_s[p] = measured_at_s_[at];
            if (loss_permille != nullptr) {
                loss_permille[p] = loss_quarters_[at] == no_loss ? loss_not_measured : static_cast<std::uint16_t>(loss_quarters_[at] * 4);
            }
        }
        return true;
    }
    return false;
}

std::size_t LatencyTable::memory_bytes() const {
    return keys_.capacity() * sizeof(std::uint64_t) + latency_ms_.capacity() * sizeof(std::uint16_t) +
           measured_at_s_.capacity() * sizeof(std::uint32_t) + loss_quarters_.capacity() * sizeof(std::uint8_t) +
           versions_.capacity() * sizeof(std::uint32_t) +
           sizeof(*this);
}

std::size_t LatencyTable::size() const { return static_cast<std::size_t>(occupied_.load(std::memory_order_relaxed)); }

}  // namespace udn::dns::gslb
