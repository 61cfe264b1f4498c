#include "probe/service/health.hpp"

#include <gtest/gtest.h>

namespace udn::probe::service {
namespace {

using report::ServiceState;

TEST(HealthTracker, FirstResultSetsTheStateDirectly) {
    HealthTracker up(2, 3);
    EXPECT_FALSE(up.state());
    EXPECT_EQ(up.record(true), ServiceState::up);
    HealthTracker down(2, 3);
    EXPECT_EQ(down.record(false), ServiceState::down);
}

TEST(HealthTracker, FallsAfterConsecutiveFailuresAndRisesAfterConsecutiveSuccesses) {
    HealthTracker health(2, 3);
    health.record(true);
    EXPECT_EQ(health.record(false), ServiceState::up);
    EXPECT_EQ(health.record(true), ServiceState::up) << "a success resets the failure streak";
    EXPECT_EQ(health.record(false), ServiceState::up);
    EXPECT_EQ(health.record(false), ServiceState::down);
    EXPECT_EQ(health.record(true), ServiceState::down);
    EXPECT_EQ(health.record(true), ServiceState::down);
    EXPECT_EQ(health.record(false), ServiceState::down) << "a failure resets the success streak";
    EXPECT_EQ(health.record(true), ServiceState::down);
    EXPECT_EQ(health.record(true), ServiceState::down);
    EXPECT_EQ(health.record(true), ServiceState::up);
}

TEST(HealthTracker, ZeroThresholdsActLikeOne) {
    HealthTracker health(0, 0);
    health.record(true);
    EXPECT_EQ(health.record(false), ServiceState::down);
    EXPECT_EQ(health.record(true), ServiceState::up);
}

}  // namespace
}  // namespace udn::probe::service
