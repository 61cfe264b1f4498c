#include "probe/net/reactor.hpp"

#include <gtest/gtest.h>
#include <algorithm>
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

// A socket watched beside thousands of due timers is read between them, not after them all.
TEST(Reactor, FiresABoundedNumberOfDueTimersPerRoundAndPollsSocketsBetween) {
    FakeClock clock;
    Reactor reactor([&clock] { return clock.now; });
    const auto timer_count = 2 * Reactor::max_timers_per_round + 10;
    std::vector<std::size_t> fired;
    for (std::size_t i = 0; i < timer_count; ++i) reactor.add_timer(clock.now, [&fired, i] { fired.push_back(i); });
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
    std::vector<std::size_t> read_after;
    reactor.watch(pair[0], EPOLLIN, [&](std::uint32_t) {
        char byte = 0;
        EXPECT_EQ(::read(pair[0], &byte, 1), 1);
        read_after.push_back(fired.size());
    });
    ASSERT_EQ(::write(pair[1], "x", 1), 1);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(reactor.run_once(1000ms), 1u + Reactor::max_timers_per_round);
    ASSERT_EQ(::write(pair[1], "y", 1), 1);
    EXPECT_EQ(reactor.run_once(1000ms), 1u + Reactor::max_timers_per_round) << "the socket read between batches";
    EXPECT_EQ(reactor.run_once(1000ms), 10u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "no waiting while timers are due";
    EXPECT_EQ(read_after, (std::vector<std::size_t>{0, Reactor::max_timers_per_round}));
    ASSERT_EQ(fired.size(), timer_count);
    EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end())) << "earliest (then first added) first";
    reactor.unwatch(pair[0]);
    ::close(pair[0]);
    ::close(pair[1]);
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
