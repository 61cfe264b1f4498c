// Latency-table slots by POP name; see pop_slots.hpp.
#include "dns/gslb/pop_slots.hpp"

#include <algorithm>
#include <unordered_map>

namespace udn::dns::gslb {

PopSlots::PopSlots(std::size_t slot_count)
    : holder_(std::min<std::size_t>(slot_count, no_latency_slot)), freed_at_(holder_.size(), 0) {}

PopSlots::Assignment PopSlots::assign(const std::vector<std::string>& pop_names) {
    ++generation_;
    Assignment out;
    out.slot_of_pop.assign(pop_names.size(), no_latency_slot);
    std::unordered_map<std::string, std::size_t> position_of;
    for (std::size_t position = 0; position < pop_names.size(); ++position) position_of.emplace(pop_names[position], position);

    // Keep the slots of POPs that stay; free the others.
    for (std::size_t slot = 0; slot < holder_.size(); ++slot) {
        if (holder_[slot].empty()) continue;
        const auto found = position_of.find(holder_[slot]);
        if (found != position_of.end() && out.slot_of_pop[found->second] == no_latency_slot) {
            out.slot_of_pop[found->second] = static_cast<std::uint8_t>(slot);
        } else {
            holder_[slot].clear();
            freed_at_[slot] = generation_;
        }
    }
    // New POPs take free slots: never used first, then the longest free (a slot freed by this
    // very reload last, so that a renamed POP's old numbers are not reused while avoidable).
    for (std::size_t position = 0; position < pop_names.size(); ++position) {
        if (out.slot_of_pop[position] != no_latency_slot) continue;
        std::size_t best = holder_.size();
        for (std::size_t slot = 0; slot < holder_.size(); ++slot) {
            if (!holder_[slot].empty()) continue;
            if (best == holder_.size() || freed_at_[slot] < freed_at_[best]) best = slot;
        }
        if (best == holder_.size()) {
            out.unplaced.push_back(pop_names[position]);
            continue;
        }
        holder_[best] = pop_names[position];
        out.slot_of_pop[position] = static_cast<std::uint8_t>(best);
        // A slot used before may hold another POP's numbers; one never used is clean (but a
        // clear costs only a pass over the table at a reload, so clear whenever it was used).
        if (freed_at_[best] != 0) out.slots_to_clear.push_back(best);
    }
    return out;
}

}  // namespace udn::dns::gslb
