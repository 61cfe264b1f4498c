#include "probe/service/loss_window.hpp"

#include <gtest/gtest.h>

namespace udn::probe::service {
namespace {

TEST(LossWindow, IsTheLostShareOfTheLastChecksOnly) {
    LossWindow window;
    EXPECT_EQ(window.checks(), 0u);
    EXPECT_EQ(window.loss_permille(), 0u);
    window.record(true);
    EXPECT_EQ(window.loss_permille(), 1000u);
    window.record(false);
    window.record(false);
    EXPECT_EQ(window.checks(), 3u);
    EXPECT_EQ(window.loss_permille(), 333u);
    for (int i = 0; i < LossWindow::checks_kept; ++i) window.record(i % 4 == 0);
    EXPECT_EQ(window.checks(), LossWindow::checks_kept);
    EXPECT_EQ(window.loss_permille(), 250u) << "the early loss has left the window";
    for (int i = 0; i < LossWindow::checks_kept; ++i) window.record(false);
    EXPECT_EQ(window.loss_permille(), 0u);
}

}  // namespace
}  // namespace udn::probe::service
