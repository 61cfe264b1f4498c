// PurgeFence: a purge refuses the stores of fetches it covers that were under way, and only those.
#include "cache/server/purge_fence.hpp"

#include <gtest/gtest.h>

namespace udn::cache::server {
namespace {

TEST(PurgeFence, StoreWithoutPurgeRuns) {
    PurgeFence fence;
    const auto ticket = fence.open("host/a");
    int stored = 0;
    EXPECT_TRUE(fence.store_unless_purged(ticket, [&] { ++stored; }));
    EXPECT_EQ(stored, 1);
}

TEST(PurgeFence, CoveringPurgeRefusesTheStore) {
    PurgeFence fence;
    const auto url = fence.open("host/a");
    const auto variant_later = fence.open("host/a");  // stored under host/a\x1f<variant>
    const auto other = fence.open("host/b");
    fence.record({"host/a", std::string("host/a") + '\x1f'});
    int stored = 0;
    EXPECT_FALSE(fence.store_unless_purged(url, [&] { ++stored; }));
    EXPECT_FALSE(fence.store_unless_purged(variant_later, [&] { ++stored; }));
    EXPECT_TRUE(fence.store_unless_purged(other, [&] { ++stored; }));
    EXPECT_EQ(stored, 1);
}

TEST(PurgeFence, PrefixSiteAndAll) {
    PurgeFence fence;
    const auto in_dir = fence.open("host/dir/x");
    const auto beside = fence.open("host/dirt");
    const auto other_site = fence.open("else/dir/x");
    fence.record({"", "host/dir/"});
    EXPECT_FALSE(fence.store_unless_purged(in_dir, [] {}));
    EXPECT_TRUE(fence.store_unless_purged(beside, [] {}));
    EXPECT_TRUE(fence.store_unless_purged(other_site, [] {}));
    fence.record({"", ""});
    EXPECT_FALSE(fence.store_unless_purged(beside, [] {}));
}

TEST(PurgeFence, UrlPurgeDoesNotCoverLongerPaths) {
    PurgeFence fence;
    const auto longer = fence.open("host/a.txt.bak");
    fence.record({"host/a.txt", std::string("host/a.txt") + '\x1f'});
    EXPECT_TRUE(fence.store_unless_purged(longer, [] {}));
}

TEST(PurgeFence, TicketsTakenAfterThePurgeStore) {
    PurgeFence fence;
    fence.record({"", ""});
    const auto ticket = fence.open("host/a");
    EXPECT_TRUE(fence.store_unless_purged(ticket, [] {}));
}

TEST(PurgeFence, TicketsCloseWhenDestroyedOrMoved) {
    PurgeFence fence;
    {
        auto first = fence.open("host/a");
        auto second = std::move(first);
        EXPECT_EQ(fence.open_tickets(), 1u);
        EXPECT_FALSE(fence.store_unless_purged(first, [] {}));  // moved from: never stores
        EXPECT_TRUE(fence.store_unless_purged(second, [] {}));
    }
    EXPECT_EQ(fence.open_tickets(), 0u);
}

}  // namespace
}  // namespace udn::cache::server
