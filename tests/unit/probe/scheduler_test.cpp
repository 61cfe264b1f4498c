#include "probe/service/scheduler.hpp"

#include <gtest/gtest.h>

#include <map>

namespace udn::probe::service {
namespace {

using namespace std::chrono_literals;

// Time moves only when a test says so.
struct FakeClock {
    net::Clock::time_point now{std::chrono::seconds(1000)};
    net::Reactor::Now function() {
        return [this] { return now; };
    }
};

// A check that finishes when the test says so.
class FakeCheck final : public RunningCheck {
public:
    explicit FakeCheck(int& expired) : expired_(expired) {}
    Outcome expire() override {
        ++expired_;
        return Outcome{report::CheckResult::timeout, 0, {}, "fake timeout"};
    }

private:
    int& expired_;
};

struct Harness {
    FakeClock clock;
    net::Reactor reactor{clock.function()};
    std::vector<Target> targets;
    std::vector<CheckDone> running;  // done callbacks of started checks, in start order
    std::vector<std::string> started;
    std::vector<std::pair<std::string, report::CheckResult>> results;
    int expired = 0;
    bool finish_inside_start = false;
    std::unique_ptr<Scheduler> scheduler;

    void add(std::string name, std::uint32_t interval_ms, std::uint32_t timeout_ms) {
        Target target;
        target.name = std::move(name);
        target.check.type = config::CheckType::tcp;
        target.check.interval_ms = interval_ms;
        target.check.timeout_ms = timeout_ms;
        targets.push_back(std::move(target));
    }

    void make(std::size_t max_in_flight, bool spread) {
        scheduler = std::make_unique<Scheduler>(
            targets, reactor,
            [this](const Target& target, CheckDone done) -> std::unique_ptr<RunningCheck> {
                started.push_back(target.name);
                if (finish_inside_start) {
                    done(Outcome{report::CheckResult::ok, 0, {}, "at once"});
                    return nullptr;
                }
                running.push_back(std::move(done));
                return std::make_unique<FakeCheck>(expired);
            },
            [this](std::size_t index, const Outcome& outcome, std::uint64_t) {
                results.emplace_back(targets[index].name, outcome.result);
            },
            Scheduler::Settings{max_in_flight, spread});
    }

    void advance(std::chrono::milliseconds by) {
        clock.now += by;
        reactor.run_once(0ms);
    }
};

TEST(Scheduler, ManyDueAtOnceStartOnlyUpToTheInFlightBound) {
    Harness h;
    for (int i = 0; i < 100; ++i) h.add("s" + std::to_string(i), 1000, 500);
    h.make(10, false);
    EXPECT_FALSE(h.scheduler->dispatch()) << "nothing can start until a slot frees";
    EXPECT_EQ(h.started.size(), 10u);
    EXPECT_EQ(h.scheduler->in_flight(), 10u);
    EXPECT_EQ(h.scheduler->waiting(), 90u);

    for (int i = 0; i < 3; ++i) h.running[static_cast<std::size_t>(i)](Outcome{report::CheckResult::ok, 0, {}, ""});
    EXPECT_EQ(h.results.size(), 3u);
    h.scheduler->dispatch();
    EXPECT_EQ(h.started.size(), 13u) << "each finished check frees one slot";
    EXPECT_EQ(h.scheduler->in_flight(), 10u);
}

TEST(Scheduler, ACheckThatHangsTimesOutAndRunsAgainAtItsCadence) {
    Harness h;
    h.add("hangs", 1000, 300);
    h.make(10, false);
    h.scheduler->dispatch();
    ASSERT_EQ(h.started.size(), 1u);
    h.advance(299ms);
    EXPECT_TRUE(h.results.empty());
    h.advance(1ms);
    ASSERT_EQ(h.results.size(), 1u);
    EXPECT_EQ(h.results[0].second, report::CheckResult::timeout);
    EXPECT_EQ(h.expired, 1);
    EXPECT_EQ(h.scheduler->expired(), 1u);
    EXPECT_EQ(h.scheduler->in_flight(), 0u);

    // A late answer of the expired check changes nothing.
    h.running[0](Outcome{report::CheckResult::ok, 0, {}, ""});
    EXPECT_EQ(h.results.size(), 1u);

    // Next one at start + interval, not at expiry + interval.
    const auto next = h.scheduler->dispatch();
    ASSERT_TRUE(next);
    EXPECT_EQ(*next - h.clock.now, 700ms);
    h.advance(699ms);
    h.scheduler->dispatch();
    EXPECT_EQ(h.started.size(), 1u);
    h.advance(1ms);
    h.scheduler->dispatch();
    EXPECT_EQ(h.started.size(), 2u);
}

TEST(Scheduler, AnOverrunningCheckStartsAgainWhenItEnds) {
    Harness h;
    h.add("slow", 100, 1000);
    h.make(10, false);
    h.scheduler->dispatch();
    h.advance(150ms);
    h.running[0](Outcome{report::CheckResult::ok, 0, {}, ""});
    const auto next = h.scheduler->dispatch();
    EXPECT_EQ(h.started.size(), 2u) << "due at 100 ms, overdue when the first ended at 150 ms";
    EXPECT_FALSE(next) << "its only target is running";
}

TEST(Scheduler, SpreadsFirstChecksOverTheInterval) {
    Harness h;
    for (int i = 0; i < 10; ++i) h.add("s" + std::to_string(i), 1000, 500);
    h.make(100, true);
    const auto next = h.scheduler->dispatch();
    EXPECT_EQ(h.started.size(), 1u);
    ASSERT_TRUE(next);
    EXPECT_EQ(*next - h.clock.now, 100ms);
    h.advance(500ms);
    h.scheduler->dispatch();
    EXPECT_EQ(h.started, (std::vector<std::string>{"s0", "s1", "s2", "s3", "s4", "s5"}));
}

TEST(Scheduler, ChecksThatFinishInsideStartAreReportedAndRescheduled) {
    Harness h;
    for (int i = 0; i < 5; ++i) h.add("s" + std::to_string(i), 1000, 500);
    h.finish_inside_start = true;
    h.make(2, false);
    const auto next = h.scheduler->dispatch();
    EXPECT_EQ(h.results.size(), 5u) << "they never held a slot for long";
    EXPECT_EQ(h.scheduler->in_flight(), 0u);
    EXPECT_EQ(h.scheduler->waiting(), 5u);
    ASSERT_TRUE(next);
    EXPECT_EQ(*next - h.clock.now, 1000ms);
}

}  // namespace
}  // namespace udn::probe::service
