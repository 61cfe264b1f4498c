#include "probe/net/reactor.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace udn::probe::net {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
    Clock::time_point now{std::chrono::seconds(1000)};
};

TEST(Reactor, FiresDueTimersInOrderAndSkipsCancelledOnes) {
    FakeClock clock;
    Reactor reactor([&clock] { return clock.now; });
    std::vector<int> fired;
    reactor.add_timer(clock.now + 20ms, [&] { fired.push_back(2); });
    const auto cancelled = reactor.add_timer(clock.now + 15ms, [&] { fired.push_back(99); });
    reactor.add_timer(clock.now + 10ms, [&] { fired.push_back(1); });
    reactor.cancel_timer(cancelled);
    EXPECT_EQ(reactor.run_once(0ms), 0u);
    clock.now += 20ms;
    EXPECT_EQ(reactor.run_once(0ms), 2u);
    EXPECT_EQ(fired, (std::vector<int>{1, 2}));
    EXPECT_EQ(reactor.timers(), 0u);
}

TEST(Reactor, ATimerAddedForNowByATimerWaitsForTheNextRound) {
    FakeClock clock;
    Reactor reactor([&clock] { return clock.now; });
    int rounds = 0;
    std::function<void()> again = [&] {
        ++rounds;
        reactor.add_timer(clock.now, again);
    };
    reactor.add_timer(clock.now, again);
    reactor.run_once(0ms);
    EXPECT_EQ(rounds, 1);
    reactor.run_once(0ms);
    EXPECT_EQ(rounds, 2);
}

TEST(Reactor, DeliversFdEventsAndAHandlerMayUnwatchItself) {
    Reactor reactor;
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    Fd a(pair[0]), b(pair[1]);
    int calls = 0;
    ASSERT_TRUE(reactor.watch(a.get(), EPOLLIN, [&](std::uint32_t events) {
        ++calls;
        EXPECT_TRUE(events & EPOLLIN);
        reactor.unwatch(a.get());
    }));
    EXPECT_EQ(reactor.run_once(0ms), 0u);
    ASSERT_EQ(::write(b.get(), "x", 1), 1);
    EXPECT_EQ(reactor.run_once(100ms), 1u);
    EXPECT_EQ(reactor.run_once(0ms), 0u) << "level-triggered, but unwatched";
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(reactor.watched(), 0u);
}

TEST(Reactor, WakeEndsAWaitEarly) {
    Reactor reactor;
    reactor.wake();
    const auto start = Clock::now();
    reactor.run_once(5000ms);
    EXPECT_LT(Clock::now() - start, 1000ms);
}

}  // namespace
}  // namespace udn::probe::net
