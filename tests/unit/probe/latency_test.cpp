#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/latency/latency_probe.hpp"
#include "probe/latency/measurer.hpp"
#include "probe/latency/series_run.hpp"
#include "probe/latency/table.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::latency {
namespace {

using std::chrono::milliseconds;
using udn::net::IpAddress;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
udn::net::Endpoint loopback(std::uint16_t port = 0) { return {ip("127.0.0.1"), port}; }
report::Key test_key() { return *report::Key::from_bytes(std::vector<std::uint8_t>(32, 3)); }

Plan plan(std::size_t attempts, milliseconds timeout, milliseconds spacing = milliseconds(25)) {
    return Plan{attempts, spacing, timeout};
}

// A reactor whose clock moves only when the test says so.
struct FakeTime {
    net::Clock::time_point now{std::chrono::seconds(1000)};
    net::Reactor reactor{[this] { return now; }};
    // Moves the clock by `step` and fires what became due.
    void advance(milliseconds step) {
        now += step;
        reactor.run_once(milliseconds(0));
    }
};

// Runs a real-clock reactor until `done` or the time is up.
template <class Done>
bool run_until(net::Reactor& reactor, Done done, milliseconds within = milliseconds(5000)) {
    const auto deadline = net::Clock::now() + within;
    while (!done() && net::Clock::now() < deadline) reactor.run_once(milliseconds(10));
    return done();
}

std::size_t open_fds() {
    std::size_t count = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (::readdir(dir)) ++count;
        ::closedir(dir);
    }
    return count;
}

// Records when each attempt is sent; the test answers or loses them by hand.
class RecordingRun : public SeriesRun {
public:
    using SeriesRun::SeriesRun;
    std::vector<net::Clock::time_point> sends;
    std::vector<std::size_t> released;
    bool refuse_sends = false;

protected:
    bool send_attempt(std::size_t) override {
        sends.push_back(reactor().now());
        return !refuse_sends;
    }
    void release_attempt(std::size_t attempt) override { released.push_back(attempt); }
};

TEST(SeriesRun, SendsOnItsSpacingAndEndsWhenEveryAttemptIsAnsweredOrTimedOut) {
    FakeTime time;
    RecordingRun run(time.reactor, plan(3, milliseconds(100), milliseconds(20)));
    const auto start = time.now;
    int overs = 0;
    run.begin([&](SeriesRun&) { ++overs; });
    EXPECT_TRUE(run.sends.empty()) << "the first attempt leaves on the reactor's next round";
    time.advance(milliseconds(0));
    ASSERT_EQ(run.sends.size(), 1u);
    time.advance(milliseconds(19));
    EXPECT_EQ(run.sends.size(), 1u);
    time.advance(milliseconds(1));
    ASSERT_EQ(run.sends.size(), 2u);
    EXPECT_EQ(run.sends[1] - start, milliseconds(20));

    run.answer(0, 5'000);
    run.answer(0, 1'000);  // a repeated answer does not count twice or change the first
    run.answer(1, 100'001);  // later than the timeout: never counts
    EXPECT_EQ(run.series()[0], 5'000u);
    EXPECT_FALSE(run.series()[1]);
    time.advance(milliseconds(20));
    ASSERT_EQ(run.sends.size(), 3u);
    EXPECT_EQ(run.sends[2] - start, milliseconds(40));

    run.answer(2, 7'000);
    EXPECT_EQ(overs, 0) << "attempt 1 is still in flight";
    time.advance(milliseconds(79));  // 99 ms after attempt 1 left
    EXPECT_EQ(overs, 0);
    time.advance(milliseconds(1));  // 100 ms: attempt 1 is lost
    EXPECT_EQ(overs, 1);
    EXPECT_EQ(run.series(), (Series{5'000u, std::nullopt, 7'000u}));
    EXPECT_EQ(run.released.size(), 3u) << "every attempt released once";
    run.answer(1, 50);  // after the series: ignored
    EXPECT_FALSE(run.series()[1]);
    EXPECT_EQ(time.reactor.timers(), 0u) << "no timer left behind";
}

TEST(SeriesRun, EndsAtOnceWhenAllAnsweredAndEarlyOnEnd) {
    FakeTime time;
    RecordingRun all(time.reactor, plan(2, milliseconds(500), milliseconds(10)));
    int overs = 0;
    all.begin([&](SeriesRun&) { ++overs; });
    time.advance(milliseconds(0));
    all.answer(0, 300);
    time.advance(milliseconds(10));
    all.answer(1, 200);
    EXPECT_EQ(overs, 1) << "over with the last answer, not at the timeout";

    RecordingRun ended(time.reactor, plan(4, milliseconds(500), milliseconds(10)));
    ended.begin([&](SeriesRun&) { ++overs; });
    time.advance(milliseconds(0));
    time.advance(milliseconds(10));
    ended.end();  // e.g. a port unreachable
    EXPECT_EQ(overs, 2);
    EXPECT_EQ(ended.sends.size(), 2u) << "nothing more sent after the end";
    EXPECT_EQ(std::count(ended.series().begin(), ended.series().end(), std::nullopt), 4);
    time.advance(milliseconds(1000));
    EXPECT_EQ(ended.sends.size(), 2u);
}

TEST(SeriesRun, AnAttemptThatCannotBeSentIsLost) {
    FakeTime time;
    RecordingRun run(time.reactor, plan(2, milliseconds(100), milliseconds(10)));
    run.refuse_sends = true;
    bool over = false;
    run.begin([&](SeriesRun&) { over = true; });
    time.advance(milliseconds(0));
    EXPECT_FALSE(over) << "the next attempt is still to be sent";
    time.advance(milliseconds(10));
    EXPECT_TRUE(over) << "no waiting for the timeout of probes never sent";
    EXPECT_EQ(run.sends.size(), 2u);
}

// Answers, after `delay`, only for the addresses it was told to, attempt k with
// rtts_us[k % size] (0 = lost); counts its series; a series in flight counts in in_flight().
class FakeMethod : public Method {
public:
    FakeMethod(net::Reactor& reactor, report::LatencyMethod id, std::vector<IpAddress> answers,
               std::vector<std::uint32_t> rtts_us, milliseconds delay = milliseconds(30))
        : reactor_(reactor), id_(id), answers_(std::move(answers)), rtts_us_(std::move(rtts_us)), delay_(delay) {}
    report::LatencyMethod id() const override { return id_; }
    std::size_t in_flight() const override { return in_flight_; }
    void start(const IpAddress& client, const Plan& plan, SeriesDone done) override {
        ++calls;
        ++in_flight_;
        max_in_flight = std::max(max_in_flight, in_flight_);
        Series series(plan.attempts);
        if (std::find(answers_.begin(), answers_.end(), client) != answers_.end()) {
            for (std::size_t k = 0; k < plan.attempts; ++k) {
                if (const auto rtt = rtts_us_[k % rtts_us_.size()]; rtt != 0) series[k] = rtt;
            }
        }
        reactor_.add_timer(reactor_.now() + delay_, [this, series, done = std::move(done)] {
            --in_flight_;
            done(series);
        });
    }
    std::atomic<int> calls{0};
    std::size_t max_in_flight = 0;

private:
    net::Reactor& reactor_;
    report::LatencyMethod id_;
    std::vector<IpAddress> answers_;
    std::vector<std::uint32_t> rtts_us_;
    milliseconds delay_;
    std::size_t in_flight_ = 0;
};

struct MeasurerFixture {
    FakeTime time;
    std::map<IpAddress, report::LatencyMeasurement> results;
    FakeMethod* dns = nullptr;
    FakeMethod* tcp = nullptr;
    std::unique_ptr<Measurer> measurer;

    MeasurerFixture(std::vector<IpAddress> dns_answers, std::vector<std::uint32_t> dns_rtts,
                    std::vector<IpAddress> tcp_answers, std::vector<std::uint32_t> tcp_rtts, std::size_t attempts,
                    Measurer::Limits limits = {}) {
        std::vector<std::unique_ptr<Method>> methods;
        auto first = std::make_unique<FakeMethod>(time.reactor, report::LatencyMethod::dns_query, std::move(dns_answers),
                                                  std::move(dns_rtts));
        auto second = std::make_unique<FakeMethod>(time.reactor, report::LatencyMethod::tcp_connect,
                                                   std::move(tcp_answers), std::move(tcp_rtts));
        dns = first.get();
        tcp = second.get();
        methods.push_back(std::move(first));
        methods.push_back(std::move(second));
        measurer = std::make_unique<Measurer>(time.reactor, std::move(methods), plan(attempts, milliseconds(10)), limits,
                                              [this](const report::LatencyMeasurement& m) { results[m.client] = m; });
    }
};

TEST(Measurer, TriesMethodsCheapestFirstAndCountsThem) {
    MeasurerFixture f({ip("192.0.2.1")}, {1000}, {ip("192.0.2.1"), ip("192.0.2.2")}, {2000}, 1);
    for (const auto* client : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) EXPECT_TRUE(f.measurer->submit(ip(client)));
    EXPECT_TRUE(f.results.empty()) << "results come from the reactor, never from within submit";
    EXPECT_EQ(f.measurer->in_flight(), 3u);
    f.time.advance(milliseconds(30));  // every dns_query series over
    EXPECT_EQ(f.results.size(), 1u);
    f.time.advance(milliseconds(30));  // every tcp_connect series over
    ASSERT_EQ(f.results.size(), 3u);
    EXPECT_EQ(f.measurer->in_flight(), 0u);

    const auto& by_dns = f.results[ip("192.0.2.1")];
    EXPECT_TRUE(by_dns.reachable);
    EXPECT_EQ(by_dns.method, report::LatencyMethod::dns_query);
    EXPECT_EQ(by_dns.rtt_us, 1000u);
    const auto& by_tcp = f.results[ip("192.0.2.2")];
    EXPECT_EQ(by_tcp.method, report::LatencyMethod::tcp_connect);
    EXPECT_EQ(by_tcp.rtt_us, 2000u);
    const auto& unreachable = f.results[ip("192.0.2.3")];
    EXPECT_FALSE(unreachable.reachable);
    EXPECT_EQ(unreachable.method, report::LatencyMethod::none);
    EXPECT_GT(unreachable.measured_at_ms, 0u);

    const auto stats = f.measurer->stats();
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_EQ(stats[0].attempts, 3u);
    EXPECT_EQ(stats[0].successes, 1u);
    EXPECT_EQ(stats[0].cost_us, 3u * 30'000u) << "each series' time on the reactor's clock";
    EXPECT_EQ(stats[1].attempts, 2u);
    EXPECT_EQ(stats[1].successes, 1u);
    EXPECT_NE(f.measurer->stats_text().find("dns_query 1/3 answered"), std::string::npos) << f.measurer->stats_text();
}

TEST(Measurer, LossIsTheUnansweredShareAndRttTheMedianOfTheAnswers) {
    // dns_query attempts 0..3: 1000 us, lost, 3000 us, 2000 us; tcp_connect: lost, 7000 us.
    MeasurerFixture f({ip("192.0.2.1")}, {1000, 0, 3000, 2000}, {ip("192.0.2.1"), ip("192.0.2.2")}, {0, 7000}, 4);
    for (const auto* client : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) f.measurer->submit(ip(client));
    f.time.advance(milliseconds(30));
    f.time.advance(milliseconds(30));
    ASSERT_EQ(f.results.size(), 3u);

    const auto& lossy = f.results[ip("192.0.2.1")];
    EXPECT_TRUE(lossy.reachable);
    EXPECT_EQ(lossy.method, report::LatencyMethod::dns_query);
    EXPECT_EQ(lossy.attempts, 4u);
    EXPECT_EQ(lossy.loss_permille, 250u);
    EXPECT_EQ(lossy.rtt_us, 2000u) << "median of 1000, 2000, 3000";

    // No dns_query answer at all: tcp_connect's series decides, loss included.
    const auto& by_tcp = f.results[ip("192.0.2.2")];
    EXPECT_EQ(by_tcp.method, report::LatencyMethod::tcp_connect);
    EXPECT_EQ(by_tcp.loss_permille, 500u);
    EXPECT_EQ(by_tcp.rtt_us, 7000u);

    const auto& unreachable = f.results[ip("192.0.2.3")];
    EXPECT_FALSE(unreachable.reachable);
    EXPECT_EQ(unreachable.loss_permille, 1000u);
    EXPECT_EQ(unreachable.attempts, 4u);

    const auto stats = f.measurer->stats();
    EXPECT_EQ(stats[0].attempts, 12u) << "probes sent, not series";
    EXPECT_EQ(stats[0].successes, 3u);
    EXPECT_EQ(stats[1].attempts, 8u);
    EXPECT_EQ(stats[1].successes, 2u);
}

TEST(Measurer, BoundsTheClientsInFlightAndTheQueue) {
    std::vector<IpAddress> clients;
    for (std::uint8_t i = 1; i <= 10; ++i) clients.push_back(IpAddress::v4({192, 0, 2, i}));
    MeasurerFixture f(clients, {500}, {}, {500}, 1, Measurer::Limits{3, 5});
    std::size_t accepted = 0;
    for (const auto& client : clients) accepted += f.measurer->submit(client) ? 1 : 0;
    EXPECT_EQ(accepted, 8u) << "3 in flight, 5 waiting, 2 refused";
    EXPECT_EQ(f.measurer->in_flight(), 3u);
    EXPECT_EQ(f.measurer->waiting(), 5u);
    for (int round = 0; round < 3; ++round) f.time.advance(milliseconds(30));
    EXPECT_EQ(f.results.size(), 8u);
    EXPECT_EQ(f.dns->max_in_flight, 3u);
    EXPECT_EQ(f.measurer->waiting(), 0u);
    EXPECT_EQ(f.measurer->in_flight(), 0u);
}

TEST(Measurer, MedianIsTheLowerMiddleSample) {
    EXPECT_EQ(median_us({}), 0u);
    EXPECT_EQ(median_us({5}), 5u);
    EXPECT_EQ(median_us({9, 1}), 1u);
    EXPECT_EQ(median_us({30, 10, 20}), 20u);
    EXPECT_EQ(median_us({40, 10, 30, 20}), 20u);
}

TEST(ResolverTable, FreshResultsAreServedAndOldOnesRefreshedWhileWanted) {
    ResolverTable table({1000, 5000, 10});
    const auto dns1 = loopback(5000);
    EXPECT_FALSE(table.request(ip("192.0.2.1"), dns1, 100));
    EXPECT_TRUE(table.begin_measuring(ip("192.0.2.1")));
    EXPECT_FALSE(table.begin_measuring(ip("192.0.2.1"))) << "already being measured";
    report::LatencyMeasurement measured{ip("192.0.2.1"), true, report::LatencyMethod::dns_query, 500, 200};
    EXPECT_EQ(table.record(measured), std::vector{dns1});
    EXPECT_TRUE(table.request(ip("192.0.2.1"), dns1, 1100)) << "younger than refresh_after_ms";
    EXPECT_TRUE(table.due_for_refresh(1100, 10).empty());
    EXPECT_EQ(table.due_for_refresh(1300, 10), std::vector{ip("192.0.2.1")});
    EXPECT_TRUE(table.due_for_refresh(1300, 10).empty()) << "being measured already";
    table.record(measured);
    table.forget_idle(1100 + 5000);
    EXPECT_EQ(table.size(), 0u) << "nobody asked for forget_after_ms";
}

TEST(ResolverTable, StaysBounded) {
    ResolverTable table({1000, 1'000'000, 3});
    for (int i = 0; i < 10; ++i) {
        table.request(IpAddress::v4({192, 0, 2, static_cast<std::uint8_t>(i)}), loopback(1), 100 + i);
    }
    EXPECT_EQ(table.size(), 3u);
}

// One series of a real method on a real-clock reactor.
Series measure_once(Method& method, net::Reactor& reactor, const IpAddress& client, const Plan& series_plan) {
    std::optional<Series> result;
    method.start(client, series_plan, [&](Series series) { result = std::move(series); });
    EXPECT_FALSE(result) << "never done from within start";
    EXPECT_TRUE(run_until(reactor, [&] { return result.has_value(); }));
    return result.value_or(Series{});
}

TEST(LatencyMethods, TcpConnectCountsARefusalAsAnAnswer) {
    std::uint16_t closed_port = 0;
    {
        auto probe_socket = net::UdpSocket::bind(loopback());  // any free number; TCP port is closed
        closed_port = probe_socket.local_endpoint().port;
    }
    net::Reactor reactor;
    auto tcp = make_tcp_connect_method(reactor, closed_port);
    const auto series = measure_once(*tcp, reactor, ip("127.0.0.1"), plan(3, milliseconds(500), milliseconds(5)));
    ASSERT_EQ(series.size(), 3u);
    for (const auto& rtt : series) {
        ASSERT_TRUE(rtt);
        EXPECT_LT(*rtt, 500'000u);
    }
    EXPECT_EQ(reactor.watched(), 0u) << "every connect's socket closed";
}

TEST(LatencyMethods, TcpConnectKeepsItsSocketsUnderTheBound) {
    std::uint16_t closed_port = 0;
    {
        auto probe_socket = net::UdpSocket::bind(loopback());
        closed_port = probe_socket.local_endpoint().port;
    }
    net::Reactor reactor;
    auto tcp = make_tcp_connect_method(reactor, closed_port, 4);  // one series of 4 at a time
    std::size_t done = 0;
    std::size_t most_watched = 0;
    for (int i = 0; i < 5; ++i) {
        tcp->start(ip("127.0.0.1"), plan(4, milliseconds(500), milliseconds(5)), [&](Series series) {
            EXPECT_EQ(std::count(series.begin(), series.end(), std::nullopt), 0);
            ++done;
        });
    }
    EXPECT_EQ(tcp->in_flight(), 5u);
    EXPECT_TRUE(run_until(reactor, [&] {
        most_watched = std::max(most_watched, reactor.watched());
        return done == 5;
    }));
    EXPECT_LE(most_watched, 4u);
}

// Answers each query on `resolver` per `answer(k, query)` for the first `count` queries.
template <class Answer>
std::thread resolver_thread(net::UdpSocket& resolver, int count, Answer answer) {
    return std::thread([&resolver, count, answer] {
        std::array<std::uint8_t, 512> buffer{};
        for (int received = 1; received <= count; ++received) {
            auto query = resolver.receive(buffer, std::chrono::seconds(3));
            if (!query) return;
            std::vector<std::uint8_t> response(buffer.begin(), buffer.begin() + static_cast<long>(query->size_bytes));
            response[2] |= 0x80;  // QR
            response[3] = 0x05;   // REFUSED: still a round trip to the resolver
            answer(received, query->from, response);
        }
    });
}

// A resolver that drops every second query (the 2nd, 4th, ...) and answers the rest.
TEST(LatencyMethods, DnsQueryCountsEachAnsweredAttemptAndEndsOnPortUnreachable) {
    auto resolver = net::UdpSocket::bind(loopback());
    const auto port = resolver.local_endpoint().port;
    auto answer = resolver_thread(resolver, 4, [&](int received, const udn::net::Endpoint& from, const auto& response) {
        if (received % 2 == 1) resolver.send_to(from, response);
    });
    net::Reactor reactor;
    auto dns = make_dns_query_method(reactor, port);
    const auto start = net::Clock::now();
    const auto series = measure_once(*dns, reactor, ip("127.0.0.1"), plan(4, milliseconds(300), milliseconds(20)));
    const auto spent = net::Clock::now() - start;
    answer.join();
    ASSERT_EQ(series.size(), 4u);
    EXPECT_TRUE(series[0]);
    EXPECT_FALSE(series[1]);
    EXPECT_TRUE(series[2]);
    EXPECT_FALSE(series[3]);
    // Bounded: the last attempt leaves at 60 ms and is given up 300 ms later.
    EXPECT_GE(spent, milliseconds(355));
    EXPECT_LT(spent, milliseconds(1500));

    // Nothing listens any more: the port-unreachable error ends the series early.
    { auto gone = std::move(resolver); }
    const auto again = net::Clock::now();
    const auto nobody = measure_once(*dns, reactor, ip("127.0.0.1"), plan(4, milliseconds(2000)));
    EXPECT_EQ(std::count(nobody.begin(), nobody.end(), std::nullopt), 4);
    EXPECT_LT(net::Clock::now() - again, milliseconds(1500));
}

TEST(LatencyMethods, DnsQueryNeverCountsSpoofedOrLateAnswers) {
    auto resolver = net::UdpSocket::bind(loopback());
    auto elsewhere = net::UdpSocket::bind(loopback());
    auto answer = resolver_thread(resolver, 2, [&](int received, const udn::net::Endpoint& from, auto response) {
        if (received == 1) {
            elsewhere.send_to(from, response);  // right ID, wrong source port
            response[0] ^= 0x5a;                // right source, wrong ID
            resolver.send_to(from, response);
        } else {
            std::this_thread::sleep_for(milliseconds(250));  // right everything, after the timeout
            resolver.send_to(from, response);
        }
    });
    net::Reactor reactor;
    auto dns = make_dns_query_method(reactor, resolver.local_endpoint().port);
    const auto series = measure_once(*dns, reactor, ip("127.0.0.1"), plan(2, milliseconds(150), milliseconds(10)));
    answer.join();
    EXPECT_EQ(series, (Series{std::nullopt, std::nullopt}));
}

// Every series shares one socket per family: the fds do not grow with the clients in flight,
// and 100 series in flight to one resolver get every answer matched to its own probe.
TEST(LatencyMethods, DnsQuerySharesOneSocketAcrossSeries) {
    constexpr int series_count = 100;
    constexpr int attempts = 3;
    auto resolver = net::UdpSocket::bind(loopback());
    auto answer = resolver_thread(resolver, series_count * attempts,
                                  [&](int, const udn::net::Endpoint& from, const auto& response) { resolver.send_to(from, response); });
    net::Reactor reactor;
    auto dns = make_dns_query_method(reactor, resolver.local_endpoint().port);
    const auto fds_before = open_fds();
    int done = 0;
    std::size_t most_fds = 0;
    for (int i = 0; i < series_count; ++i) {
        dns->start(ip("127.0.0.1"), plan(attempts, milliseconds(2000), milliseconds(10)), [&](Series series) {
            EXPECT_EQ(std::count(series.begin(), series.end(), std::nullopt), 0);
            ++done;
        });
    }
    EXPECT_EQ(dns->in_flight(), static_cast<std::size_t>(series_count));
    EXPECT_TRUE(run_until(reactor, [&] {
        most_fds = std::max(most_fds, open_fds());
        return done == series_count;
    }));
    answer.join();
    EXPECT_LE(most_fds, fds_before + 1);
    EXPECT_EQ(dns->in_flight(), 0u);
}

// Replies that arrive while the loop does not read, beyond the socket's buffer, are dropped by
// the kernel; the method counts them so that operators can tell its own drops from clients' loss.
TEST(LatencyMethods, DnsQueryCountsRepliesTheKernelDropped) {
    auto resolver = net::UdpSocket::bind(loopback());
    std::optional<udn::net::Endpoint> asker;
    auto query_seen = resolver_thread(resolver, 1, [&](int, const udn::net::Endpoint& from, const auto&) { asker = from; });
    net::Reactor reactor;
    auto dns = make_dns_query_method(reactor, resolver.local_endpoint().port);
    std::optional<Series> result;
    dns->start(ip("127.0.0.1"), plan(1, milliseconds(3000)), [&](Series series) { result = std::move(series); });
    reactor.run_once(milliseconds(0));  // sends the query
    query_seen.join();
    ASSERT_TRUE(asker);
    // More datagrams than any receive buffer here holds (16 MiB at most), none answering ours.
    const std::vector<std::uint8_t> noise(12, 0);
    for (int i = 0; i < 60'000; ++i) resolver.send_to(*asker, noise);
    EXPECT_EQ(dns->receive_drops(), 0u) << "known only once the socket is read";
    // The kernel tells the count with the first datagram queued after the drops: keep one coming.
    run_until(reactor, [&] {
        resolver.send_to(*asker, noise);
        return dns->receive_drops() > 0;
    });
    EXPECT_GT(dns->receive_drops(), 0u);
}

TEST(LatencyMethods, IcmpEchoWherePermitted) {
    net::Reactor reactor;
    auto icmp = make_icmp_echo_method(reactor);
    if (!icmp) GTEST_SKIP() << "no ICMP sockets for this user";
    const auto series = measure_once(*icmp, reactor, ip("127.0.0.1"), plan(3, milliseconds(1000), milliseconds(5)));
    ASSERT_EQ(series.size(), 3u);
    for (const auto& rtt : series) {
        ASSERT_TRUE(rtt);
        EXPECT_LT(*rtt, 1'000'000u);
    }
}

TEST(LatencyProbe, MeasuresRequestedClientsAndAnswersRepeatsFromItsTable) {
    FakeMethod* fake_method = nullptr;
    LatencyProbe::Settings settings;
    settings.bind = loopback();
    settings.sender = "eu-ns1";
    settings.pop = "eu-west";
    settings.plan = plan(3, milliseconds(10));
    LatencyProbe probe(test_key(), settings, [&](net::Reactor& reactor) {
        auto fake = std::make_unique<FakeMethod>(reactor, report::LatencyMethod::dns_query,
                                                 std::vector{ip("192.0.2.1"), ip("2001:db8::1")},
                                                 std::vector<std::uint32_t>{4242}, milliseconds(5));
        fake_method = fake.get();
        std::vector<std::unique_ptr<Method>> methods;
        methods.push_back(std::move(fake));
        return methods;
    });
    probe.start();

    auto dns_server = net::UdpSocket::bind(loopback());
    report::Signer signer(test_key(), "us-ns1");
    report::Verifier verifier(test_key(), 10'000);
    const auto ask = [&](std::vector<IpAddress> clients) {
        auto sealed = signer.seal(report::LatencyRequest{std::move(clients)}, report::unix_time_ms());
        ASSERT_TRUE(dns_server.send_to(probe.local_endpoint(), sealed.value().datagram));
    };
    const auto collect = [&](std::size_t wanted, milliseconds within = milliseconds(5000)) {
        std::map<IpAddress, report::LatencyMeasurement> results;
        std::array<std::uint8_t, 65536> buffer{};
        const auto deadline = net::Clock::now() + within;
        while (results.size() < wanted && net::Clock::now() < deadline) {
            auto datagram = dns_server.receive(buffer, milliseconds(50));
            if (!datagram) continue;
            auto message = verifier.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
            if (!message) continue;
            const auto& result = std::get<report::LatencyResult>(message.value().body);
            EXPECT_EQ(result.pop, "eu-west");
            EXPECT_EQ(message.value().header.sender, "eu-ns1");
            for (const auto& measurement : result.measurements) results[measurement.client] = measurement;
        }
        return results;
    };

    ask({ip("192.0.2.1"), ip("2001:db8::1"), ip("198.51.100.9")});
    auto results = collect(3);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[ip("192.0.2.1")].reachable);
    EXPECT_EQ(results[ip("2001:db8::1")].rtt_us, 4242u);
    EXPECT_EQ(results[ip("2001:db8::1")].attempts, 3u);
    EXPECT_EQ(results[ip("2001:db8::1")].loss_permille, 0u);
    EXPECT_FALSE(results[ip("198.51.100.9")].reachable);
    EXPECT_EQ(results[ip("198.51.100.9")].loss_permille, 1000u);
    const int calls_after_first = fake_method->calls;
    EXPECT_EQ(calls_after_first, 3);
    EXPECT_EQ(probe.table_size(), 3u);

    ask({ip("192.0.2.1")});
    results = collect(1);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[ip("192.0.2.1")].rtt_us, 4242u);
    EXPECT_EQ(fake_method->calls, calls_after_first) << "served from the table, not measured again";

    // A forged request is dropped without an answer.
    report::Signer forger(*report::Key::from_bytes(std::vector<std::uint8_t>(32, 9)), "us-ns1");
    dns_server.send_to(probe.local_endpoint(),
                       forger.seal(report::LatencyRequest{{ip("192.0.2.77")}}, report::unix_time_ms()).value().datagram);
    EXPECT_TRUE(collect(1, milliseconds(300)).empty());
    probe.stop();
    EXPECT_EQ(probe.requests_accepted(), 2u);
    EXPECT_EQ(probe.datagrams_dropped(), 1u);
}

}  // namespace
}  // namespace udn::probe::latency
