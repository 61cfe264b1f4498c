// PopSlots: latency-table slots follow POP names across reloads; added POPs take free slots.
#include "dns/gslb/pop_slots.hpp"

#include <gtest/gtest.h>

#include "dns/gslb/latency_table.hpp"

namespace udn::dns::gslb {
namespace {

using Slots = std::vector<std::uint8_t>;

TEST(PopSlots, StartInOrderWithSparesFree) {
    PopSlots slots(5);
    const auto first = slots.assign({"eu", "us", "ap"});
    EXPECT_EQ(first.slot_of_pop, (Slots{0, 1, 2}));
    EXPECT_TRUE(first.slots_to_clear.empty());
    EXPECT_TRUE(first.unplaced.empty());
    EXPECT_EQ(slots.holders(), (std::vector<std::string>{"eu", "us", "ap", "", ""}));
}

TEST(PopSlots, ReorderKeepsEveryPopsSlot) {
    PopSlots slots(3);
    slots.assign({"eu", "us", "ap"});
    const auto reordered = slots.assign({"ap", "eu", "us"});
    EXPECT_EQ(reordered.slot_of_pop, (Slots{2, 0, 1}));
    EXPECT_TRUE(reordered.slots_to_clear.empty());
}

TEST(PopSlots, AddedPopTakesASpareWithoutClearing) {
    PopSlots slots(4);
    slots.assign({"eu", "us"});
    const auto added = slots.assign({"eu", "sa", "us"});
    EXPECT_EQ(added.slot_of_pop, (Slots{0, 2, 1}));
    EXPECT_TRUE(added.slots_to_clear.empty());  // never used: nothing to clear
}

TEST(PopSlots, RemovedPopsSlotIsReusedLastAndCleared) {
    PopSlots slots(3);
    slots.assign({"eu", "us"});
    // "us" removed and "ap" added at once: ap takes the never-used slot 2, not us's numbers.
    const auto swapped = slots.assign({"eu", "ap"});
    EXPECT_EQ(swapped.slot_of_pop, (Slots{0, 2}));
    EXPECT_TRUE(swapped.slots_to_clear.empty());
    // Now the only free slot is us's old one: the next new POP gets it, cleared.
    const auto another = slots.assign({"eu", "ap", "sa"});
    EXPECT_EQ(another.slot_of_pop, (Slots{0, 2, 1}));
    EXPECT_EQ(another.slots_to_clear, (std::vector<std::size_t>{1}));
}

TEST(PopSlots, MorePopsThanSlotsAreUnplaced) {
    PopSlots slots(2);
    const auto full = slots.assign({"eu", "us", "ap"});
    EXPECT_EQ(full.slot_of_pop, (Slots{0, 1, no_latency_slot}));
    EXPECT_EQ(full.unplaced, (std::vector<std::string>{"ap"}));
    // When one leaves, the unplaced POP gets its slot (cleared).
    const auto later = slots.assign({"us", "ap"});
    EXPECT_EQ(later.slot_of_pop, (Slots{1, 0}));
    EXPECT_EQ(later.slots_to_clear, (std::vector<std::size_t>{0}));
}

TEST(LatencyTable, LookupReadsEachPositionFromItsSlot) {
    LatencyTable table(3, 64);
    const auto key = client_prefix_key(net::IpAddress::v4({198, 51, 100, 0}));
    table.record(key, 0, 10, 100);
    table.record(key, 2, 30, 100, 500);
    std::uint32_t latency[3];
    std::uint32_t at[3];
    std::uint16_t loss[3];
    const Slots slots{2, no_latency_slot, 0};
    ASSERT_TRUE(table.lookup(key, slots, latency, at, loss));
    EXPECT_EQ(latency[0], 30u);
    EXPECT_EQ(loss[0], 500u);
    EXPECT_EQ(latency[1], UINT32_MAX);
    EXPECT_EQ(loss[1], loss_not_measured);
    EXPECT_EQ(latency[2], 10u);
    EXPECT_EQ(at[2], 100u);
}

}  // namespace
}  // namespace udn::dns::gslb
