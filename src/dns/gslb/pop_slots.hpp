// Which column of the latency table (a "slot") holds which POP's client measurements, by POP
// name, across configuration reloads. The table has a fixed number of slots from start-up (its
// memory is allocated once): the POPs configured then, plus `dns.latency_spare_pops`. A reload
// that reorders POPs keeps every POP's measurements; a removed POP frees its slot; an added one
// takes a free slot (cleared first), so adding a POP needs no restart while spares last.
// Decisions and ingest read the mapping from the serving snapshot (by configuration position),
// so a query never sees one configuration with another's mapping.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace udn::dns::gslb {

inline constexpr std::uint8_t no_latency_slot = 0xFF;

class PopSlots {
public:
    // At most 255 slots (no_latency_slot marks "none").
    explicit PopSlots(std::size_t slot_count);

    struct Assignment {
        std::vector<std::uint8_t> slot_of_pop;     // by POP position; no_latency_slot = none
        std::vector<std::size_t> slots_to_clear;   // newly given to a POP: clear before use
        std::vector<std::string> unplaced;         // POPs left without a slot (none free)
    };

    // Assigns slots for `pop_names` (in configuration order) and remembers the result. A POP
    // keeps the slot it had; new POPs take slots no POP of this configuration holds, lowest
    // first, preferring slots never used or freed longest ago.
    Assignment assign(const std::vector<std::string>& pop_names);

    std::size_t slot_count() const { return holder_.size(); }
    // The POP name in each slot ("" = free).
    const std::vector<std::string>& holders() const { return holder_; }

private:
    std::vector<std::string> holder_;
    std::vector<std::uint64_t> freed_at_;  // assign() generation when the slot was freed (0 = never used)
    std::uint64_t generation_ = 0;
};

}  // namespace udn::dns::gslb
