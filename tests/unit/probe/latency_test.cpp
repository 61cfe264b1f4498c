#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/latency/latency_probe.hpp"
#include "probe/latency/measurer.hpp"
#include "probe/latency/table.hpp"
#include "probe/net/socket.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::latency {
namespace {

using udn::net::IpAddress;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
udn::net::Endpoint loopback(std::uint16_t port = 0) { return {ip("127.0.0.1"), port}; }
report::Key test_key() { return *report::Key::from_bytes(std::vector<std::uint8_t>(32, 3)); }

// Answers only for the addresses it was told to, attempt k with rtts_us[k % size] (0 = lost),
// and counts its calls.
class FakeMethod : public Method {
public:
    FakeMethod(report::LatencyMethod id, std::vector<IpAddress> answers, std::uint32_t rtt_us)
        : FakeMethod(id, std::move(answers), std::vector{rtt_us}) {}
    FakeMethod(report::LatencyMethod id, std::vector<IpAddress> answers, std::vector<std::uint32_t> rtts_us)
        : id_(id), answers_(std::move(answers)), rtts_us_(std::move(rtts_us)) {}
    report::LatencyMethod id() const override { return id_; }
    Series measure(const IpAddress& client, const Plan& plan) override {
        ++calls;
        Series series(plan.attempts);
        if (std::find(answers_.begin(), answers_.end(), client) == answers_.end()) return series;
        for (std::size_t k = 0; k < plan.attempts; ++k) {
            if (const auto rtt = rtts_us_[k % rtts_us_.size()]; rtt != 0) series[k] = rtt;
        }
        return series;
    }
    std::atomic<int> calls{0};

private:
    report::LatencyMethod id_;
    std::vector<IpAddress> answers_;
    std::vector<std::uint32_t> rtts_us_;
};

Plan plan(std::size_t attempts, std::chrono::milliseconds timeout, std::chrono::milliseconds spacing = std::chrono::milliseconds(25)) {
    return Plan{attempts, spacing, timeout};
}

TEST(Measurer, TriesMethodsCheapestFirstAndCountsThem) {
    std::vector<std::unique_ptr<Method>> methods;
    methods.push_back(std::make_unique<FakeMethod>(report::LatencyMethod::dns_query, std::vector{ip("192.0.2.1")}, 1000));
    methods.push_back(std::make_unique<FakeMethod>(report::LatencyMethod::tcp_connect,
                                                   std::vector{ip("192.0.2.1"), ip("192.0.2.2")}, 2000));
    Measurer measurer(std::move(methods), plan(1, std::chrono::milliseconds(10)));

    const auto by_dns = measurer.measure(ip("192.0.2.1"));
    EXPECT_TRUE(by_dns.reachable);
    EXPECT_EQ(by_dns.method, report::LatencyMethod::dns_query);
    EXPECT_EQ(by_dns.rtt_us, 1000u);
    const auto by_tcp = measurer.measure(ip("192.0.2.2"));
    EXPECT_EQ(by_tcp.method, report::LatencyMethod::tcp_connect);
    EXPECT_EQ(by_tcp.rtt_us, 2000u);
    const auto unreachable = measurer.measure(ip("192.0.2.3"));
    EXPECT_FALSE(unreachable.reachable);
    EXPECT_EQ(unreachable.method, report::LatencyMethod::none);
    EXPECT_GT(unreachable.measured_at_ms, 0u);

    const auto stats = measurer.stats();
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_EQ(stats[0].attempts, 3u);
    EXPECT_EQ(stats[0].successes, 1u);
    EXPECT_EQ(stats[1].attempts, 2u);
    EXPECT_EQ(stats[1].successes, 1u);
    EXPECT_NE(measurer.stats_text().find("dns_query 1/3 answered"), std::string::npos) << measurer.stats_text();
}

TEST(Measurer, LossIsTheUnansweredShareAndRttTheMedianOfTheAnswers) {
    std::vector<std::unique_ptr<Method>> methods;
    // Attempts 0..3: 1000 us, lost, 3000 us, 2000 us.
    methods.push_back(std::make_unique<FakeMethod>(report::LatencyMethod::dns_query, std::vector{ip("192.0.2.1")},
                                                   std::vector<std::uint32_t>{1000, 0, 3000, 2000}));
    methods.push_back(std::make_unique<FakeMethod>(report::LatencyMethod::tcp_connect,
                                                   std::vector{ip("192.0.2.1"), ip("192.0.2.2")},
                                                   std::vector<std::uint32_t>{0, 7000}));
    Measurer measurer(std::move(methods), plan(4, std::chrono::milliseconds(10)));

    const auto lossy = measurer.measure(ip("192.0.2.1"));
    EXPECT_TRUE(lossy.reachable);
    EXPECT_EQ(lossy.method, report::LatencyMethod::dns_query);
    EXPECT_EQ(lossy.attempts, 4u);
    EXPECT_EQ(lossy.loss_permille, 250u);
    EXPECT_EQ(lossy.rtt_us, 2000u) << "median of 1000, 2000, 3000";

    // No dns_query answer at all: tcp_connect's series decides, loss included.
    const auto by_tcp = measurer.measure(ip("192.0.2.2"));
    EXPECT_EQ(by_tcp.method, report::LatencyMethod::tcp_connect);
    EXPECT_EQ(by_tcp.loss_permille, 500u);
    EXPECT_EQ(by_tcp.rtt_us, 7000u);

    const auto unreachable = measurer.measure(ip("192.0.2.3"));
    EXPECT_FALSE(unreachable.reachable);
    EXPECT_EQ(unreachable.loss_permille, 1000u);
    EXPECT_EQ(unreachable.attempts, 4u);

    const auto stats = measurer.stats();
    EXPECT_EQ(stats[0].attempts, 12u) << "probes sent, not series";
    EXPECT_EQ(stats[0].successes, 3u);
    EXPECT_EQ(stats[1].attempts, 8u);
    EXPECT_EQ(stats[1].successes, 2u);
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

TEST(LatencyMethods, TcpConnectCountsARefusalAsAnAnswer) {
    std::uint16_t closed_port = 0;
    {
        auto probe_socket = net::UdpSocket::bind(loopback());  // any free number; TCP port is closed
        closed_port = probe_socket.local_endpoint().port;
    }
    auto tcp = make_tcp_connect_method(closed_port);
    const auto series = tcp->measure(ip("127.0.0.1"), plan(3, std::chrono::milliseconds(500), std::chrono::milliseconds(5)));
    ASSERT_EQ(series.size(), 3u);
    for (const auto& rtt : series) {
        ASSERT_TRUE(rtt);
        EXPECT_LT(*rtt, 500'000u);
    }
}

// A resolver that drops every second query (the 2nd, 4th, ...) and answers the rest REFUSED,
// which still proves the resolver answered.
TEST(LatencyMethods, DnsQueryCountsEachAnsweredAttempt) {
    auto resolver = net::UdpSocket::bind(loopback());
    const auto port = resolver.local_endpoint().port;
    std::thread answer([&] {
        std::array<std::uint8_t, 512> buffer{};
        for (int received = 1; received <= 4; ++received) {
            auto query = resolver.receive(buffer, std::chrono::seconds(2));
            if (!query) return;
            if (received % 2 == 0) continue;
            std::vector<std::uint8_t> response(buffer.begin(), buffer.begin() + static_cast<long>(query->size_bytes));
            response[2] |= 0x80;  // QR
            response[3] = 0x05;   // REFUSED
            resolver.send_to(query->from, response);
        }
    });
    auto dns = make_dns_query_method(port);
    const auto start = std::chrono::steady_clock::now();
    const auto series = dns->measure(ip("127.0.0.1"), plan(4, std::chrono::milliseconds(300), std::chrono::milliseconds(20)));
    const auto spent = std::chrono::steady_clock::now() - start;
    answer.join();
    ASSERT_EQ(series.size(), 4u);
    EXPECT_TRUE(series[0]);
    EXPECT_FALSE(series[1]);
    EXPECT_TRUE(series[2]);
    EXPECT_FALSE(series[3]);
    // Bounded: the last attempt leaves at 60 ms and is given up 300 ms later.
    EXPECT_GE(spent, std::chrono::milliseconds(360));
    EXPECT_LT(spent, std::chrono::milliseconds(1500));

    // Nothing listens any more: the port-unreachable error ends the series early.
    const auto again = std::chrono::steady_clock::now();
    { auto gone = std::move(resolver); }
    const auto nobody = make_dns_query_method(port)->measure(ip("127.0.0.1"), plan(4, std::chrono::milliseconds(2000)));
    EXPECT_EQ(std::count(nobody.begin(), nobody.end(), std::nullopt), 4);
    EXPECT_LT(std::chrono::steady_clock::now() - again, std::chrono::milliseconds(1500));
}

TEST(LatencyMethods, IcmpEchoWherePermitted) {
    auto icmp = make_icmp_echo_method();
    if (!icmp) GTEST_SKIP() << "no ICMP sockets for this user";
    const auto series = icmp->measure(ip("127.0.0.1"), plan(3, std::chrono::milliseconds(1000), std::chrono::milliseconds(5)));
    ASSERT_EQ(series.size(), 3u);
    for (const auto& rtt : series) {
        ASSERT_TRUE(rtt);
        EXPECT_LT(*rtt, 1'000'000u);
    }
}

TEST(LatencyProbe, MeasuresRequestedClientsAndAnswersRepeatsFromItsTable) {
    auto fake = std::make_unique<FakeMethod>(report::LatencyMethod::dns_query,
                                             std::vector{ip("192.0.2.1"), ip("2001:db8::1")}, 4242);
    auto* fake_method = fake.get();
    std::vector<std::unique_ptr<Method>> methods;
    methods.push_back(std::move(fake));
    LatencyProbe::Settings settings;
    settings.bind = loopback();
    settings.sender = "eu-ns1";
    settings.pop = "eu-west";
    settings.threads = 2;
    LatencyProbe probe(test_key(), settings,
                       std::make_unique<Measurer>(std::move(methods), plan(3, std::chrono::milliseconds(10))));
    probe.start();

    auto dns_server = net::UdpSocket::bind(loopback());
    report::Signer signer(test_key(), "us-ns1");
    report::Verifier verifier(test_key(), 10'000);
    const auto ask = [&](std::vector<IpAddress> clients) {
        auto sealed = signer.seal(report::LatencyRequest{std::move(clients)}, report::unix_time_ms());
        ASSERT_TRUE(dns_server.send_to(probe.local_endpoint(), sealed.value().datagram));
    };
    const auto collect = [&](std::size_t wanted, std::chrono::milliseconds within = std::chrono::seconds(5)) {
        std::map<IpAddress, report::LatencyMeasurement> results;
        std::array<std::uint8_t, 65536> buffer{};
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (results.size() < wanted && std::chrono::steady_clock::now() < deadline) {
            auto datagram = dns_server.receive(buffer, std::chrono::milliseconds(50));
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

    ask({ip("192.0.2.1")});
    results = collect(1);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[ip("192.0.2.1")].rtt_us, 4242u);
    EXPECT_EQ(fake_method->calls, calls_after_first) << "served from the table, not measured again";

    // A forged request is dropped without an answer.
    report::Signer forger(*report::Key::from_bytes(std::vector<std::uint8_t>(32, 9)), "us-ns1");
    dns_server.send_to(probe.local_endpoint(),
                       forger.seal(report::LatencyRequest{{ip("192.0.2.77")}}, report::unix_time_ms()).value().datagram);
    EXPECT_TRUE(collect(1, std::chrono::milliseconds(300)).empty());
    probe.stop();
    EXPECT_EQ(probe.requests_accepted(), 2u);
    EXPECT_EQ(probe.datagrams_dropped(), 1u);
}

}  // namespace
}  // namespace udn::probe::latency
