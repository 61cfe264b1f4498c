// Restart backoff: doubles while a child keeps crashing, caps, resets after a stable run.
#include <gtest/gtest.h>

#include "up/backoff.hpp"

namespace udn::up {
namespace {

using std::chrono::milliseconds;

TEST(UpBackoff, DoublesUpToTheCap) {
    Backoff backoff({milliseconds(100), milliseconds(1000), milliseconds(5000)});
    EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(100));
    EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(200));
    EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(400));
    EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(800));
    EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(1000));
    for (int i = 0; i < 100; ++i) EXPECT_EQ(backoff.next_delay(milliseconds(10)), milliseconds(1000));
    EXPECT_EQ(backoff.consecutive_failures(), 105u);
}

TEST(UpBackoff, AStableRunResetsTheDelay) {
    Backoff backoff({milliseconds(100), milliseconds(1000), milliseconds(5000)});
    backoff.next_delay(milliseconds(10));
    backoff.next_delay(milliseconds(10));
    EXPECT_EQ(backoff.next_delay(milliseconds(4999)), milliseconds(400));
    EXPECT_EQ(backoff.next_delay(milliseconds(5000)), milliseconds(100));
    EXPECT_EQ(backoff.consecutive_failures(), 1u);
}

}  // namespace
}  // namespace udn::up
