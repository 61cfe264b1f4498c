#include "probe/service/prober.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>

#include "common/report/verifier.hpp"
#include "probe/loadp/agent.hpp"
#include "probe/loadp/poller.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe {
namespace {

report::Key test_key() { return *report::Key::from_bytes(std::vector<std::uint8_t>(32, 7)); }
udn::net::Endpoint loopback(std::uint16_t port = 0) { return {*udn::net::IpAddress::parse("127.0.0.1"), port}; }

std::vector<report::Message> receive_all(const net::UdpSocket& socket, std::size_t wanted, std::chrono::milliseconds within) {
    report::Verifier verifier(test_key(), 10'000);
    std::vector<report::Message> messages;
    std::array<std::uint8_t, 2048> buffer{};
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (messages.size() < wanted && std::chrono::steady_clock::now() < deadline) {
        auto datagram = socket.receive(buffer, std::chrono::milliseconds(50));
        if (!datagram) continue;
        auto message = verifier.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
        if (message) messages.push_back(std::move(message).value());
    }
    return messages;
}

// Checks that finish at once with fn's outcome, as the scheduler's StartCheck.
service::Prober::Settings fake_checks(std::function<service::Outcome(const service::Target&)> fn) {
    service::Prober::Settings settings;
    settings.make_start_check = [fn](net::Reactor&) {
        return [fn](const service::Target& target, service::CheckDone done) -> std::unique_ptr<service::RunningCheck> {
            done(fn(target));
            return nullptr;
        };
    };
    return settings;
}

service::Target fake_target(std::string name, std::uint32_t interval_ms) {
    service::Target target;
    target.customer = "acme";
    target.name = std::move(name);
    target.check.type = config::CheckType::http;
    target.check.interval_ms = interval_ms;
    target.check.fall = 2;
    target.check.rise = 2;
    target.load_agent = loopback(1);
    return target;
}

TEST(Prober, ReportsEveryCheckWithFallRiseStateToEveryReceiver) {
    auto receiver_a = net::UdpSocket::bind(loopback());
    auto receiver_b = net::UdpSocket::bind(loopback());
    Reporter reporter(test_key(), "probe-1", {receiver_a.local_endpoint(), receiver_b.local_endpoint()});
    // Results of the fake check: ok, fail, fail, ok, ok, ok ...
    std::atomic<int> calls{0};
    const auto settings = fake_checks([&](const service::Target&) {
        const int call = calls++;
        service::Outcome outcome;
        outcome.result = (call == 1 || call == 2) ? report::CheckResult::timeout : report::CheckResult::ok;
        outcome.code = 200;
        outcome.timing.total_us = 1234;
        outcome.detail = "fake";
        return outcome;
    });
    service::Prober prober({fake_target("origin-1", 20)}, reporter, nullptr, settings);
    prober.start();
    const auto messages = receive_all(receiver_a, 6, std::chrono::seconds(5));
    prober.stop();
    ASSERT_EQ(messages.size(), 6u);
    std::vector<report::ServiceState> states;
    std::vector<std::pair<int, int>> losses;  // (permille, checks)
    for (const auto& message : messages) {
        const auto& report = std::get<report::ServiceReport>(message.body);
        EXPECT_EQ(report.name, "origin-1");
        EXPECT_EQ(report.customer, "acme");
        EXPECT_EQ(report.timing.total_us, 1234u);
        EXPECT_FALSE(report.has_load);
        EXPECT_EQ(message.header.sender, "probe-1");
        states.push_back(report.state);
        losses.emplace_back(report.loss_permille, report.loss_checks);
    }
    using report::ServiceState;
    const std::vector<ServiceState> expected{ServiceState::up,   ServiceState::up,   ServiceState::down,
                                             ServiceState::down, ServiceState::up, ServiceState::up};
    EXPECT_EQ(states, expected);
    // The two timeouts (checks 2 and 3) are the loss of the rolling window, rounded permille.
    const std::vector<std::pair<int, int>> expected_losses{{0, 1}, {500, 2}, {667, 3}, {500, 4}, {400, 5}, {333, 6}};
    EXPECT_EQ(losses, expected_losses);
    EXPECT_GE(receive_all(receiver_b, 6, std::chrono::seconds(2)).size(), 6u) << "second receiver got them too";
}

TEST(Prober, KeepsEachTargetsInterval) {
    auto receiver = net::UdpSocket::bind(loopback());
    Reporter reporter(test_key(), "probe-1", {receiver.local_endpoint()});
    std::atomic<int> fast{0}, slow{0};
    const auto settings = fake_checks([&](const service::Target& target) {
        ++(target.name == "fast" ? fast : slow);
        return service::Outcome{report::CheckResult::ok, 200, {}, ""};
    });
    service::Prober prober({fake_target("fast", 50), fake_target("slow", 500)}, reporter, nullptr, settings);
    prober.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    prober.stop();
    EXPECT_GE(fast.load(), 8) << "under load the cadence may slip, never speed up";
    EXPECT_LE(fast.load(), 25);
    EXPECT_GE(slow.load(), 2);
    EXPECT_LE(slow.load(), 4);
}

TEST(Prober, AReplacementKeepsTheStateOfUnchangedServicesOnly) {
    auto receiver = net::UdpSocket::bind(loopback());
    Reporter reporter(test_key(), "probe-1", {receiver.local_endpoint()});
    const auto failing = fake_checks([](const service::Target&) {
        return service::Outcome{report::CheckResult::timeout, 0, {}, ""};
    });
    const auto passing = fake_checks([](const service::Target&) {
        return service::Outcome{report::CheckResult::ok, 200, {}, ""};
    });
    auto changed = fake_target("changed", 1000);
    service::Prober old_prober({fake_target("same", 1000), changed}, reporter, nullptr, failing);
    old_prober.start();
    ASSERT_EQ(receive_all(receiver, 2, std::chrono::seconds(3)).size(), 2u);
    old_prober.stop();
    ASSERT_EQ(old_prober.down_count(), 2u);

    changed.check.timeout_ms += 1;
    service::Prober new_prober({fake_target("same", 1000), changed}, reporter, nullptr, passing);
    new_prober.adopt_state(old_prober);
    EXPECT_EQ(new_prober.down_count(), 1u);
    EXPECT_EQ(new_prober.checks_run(), old_prober.checks_run());
    new_prober.start();
    const auto messages = receive_all(receiver, 2, std::chrono::seconds(3));
    new_prober.stop();
    ASSERT_EQ(messages.size(), 2u);
    for (const auto& message : messages) {
        const auto& report = std::get<report::ServiceReport>(message.body);
        // "same" was down and needs rise = 2 successes; "changed" starts over from its first result.
        EXPECT_EQ(report.state, report.name == "same" ? report::ServiceState::down : report::ServiceState::up)
            << report.name;
    }
}

// A listener that never accepts: the kernel completes TCP handshakes into its backlog, and
// nobody ever says a word — a hung server.
class SilentListener {
public:
    SilentListener() {
        fd_ = net::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(fd_.get(), SOMAXCONN), 0);
        socklen_t length = sizeof address;
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    udn::net::Endpoint endpoint() const { return loopback(port_); }

private:
    net::Fd fd_;
    std::uint16_t port_ = 0;
};

TEST(Prober, RunsRealChecksConcurrentlyAndHungServersDoNotHoldOthersUp) {
    SilentListener silent;
    auto receiver = net::UdpSocket::bind(loopback());
    Reporter reporter(test_key(), "probe-1", {receiver.local_endpoint()});
    std::vector<service::Target> targets;
    for (int i = 0; i < 300; ++i) {
        auto target = fake_target("tcp-" + std::to_string(i), 1000);
        target.check.type = config::CheckType::tcp;
        target.endpoint = silent.endpoint();
        targets.push_back(target);
    }
    for (const auto type : {config::CheckType::ftp, config::CheckType::http}) {
        auto hung = fake_target("hung-" + std::string(config::to_string(type)), 1000);
        hung.check.type = type;
        hung.check.timeout_ms = 300;
        hung.endpoint = silent.endpoint();
        targets.push_back(hung);
    }
    service::Prober::Settings settings;
    settings.max_in_flight = 16;
    service::Prober prober(targets, reporter, nullptr, settings);
    prober.start();
    // First results only: first checks are spread over the 1 s interval, so early targets are
    // checked again before the hung ones time out.
    std::map<std::string, report::CheckResult> results;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (results.size() < targets.size() && std::chrono::steady_clock::now() < deadline) {
        for (const auto& message : receive_all(receiver, 1, std::chrono::milliseconds(100))) {
            const auto& report = std::get<report::ServiceReport>(message.body);
            results.emplace(report.name, report.result);
        }
    }
    prober.stop();
    ASSERT_EQ(results.size(), targets.size()) << "every target checked within its first interval";
    for (int i = 0; i < 300; ++i) EXPECT_EQ(results["tcp-" + std::to_string(i)], report::CheckResult::ok);
    EXPECT_EQ(results["hung-ftp"], report::CheckResult::timeout);
    EXPECT_EQ(results["hung-http"], report::CheckResult::timeout);
    EXPECT_EQ(prober.checks_timed_out(), 2u);
}

TEST(LoadProtocol, PollerGetsTheAgentsSampleAndReportsCarryIt) {
    const auto override_path = std::filesystem::temp_directory_path() / ("udn-loadp-test-" + std::to_string(::getpid()));
    std::ofstream(override_path) << "cpu = 900\nconnections = 12\n";
    loadp::Agent agent(test_key(), {loopback(), "127.0.0.1", 10'000, std::chrono::milliseconds(100)},
                       loadp::Sampler({"/"}, override_path));
    agent.start();
    const auto agent_endpoint = agent.local_endpoint();
    loadp::LoadPoller poller(test_key(), {"probe-1", 10'000, std::chrono::milliseconds(100)}, {agent_endpoint});
    poller.start();
    std::optional<report::LoadSample> load;
    for (int i = 0; i < 50 && !load; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        load = poller.latest(agent_endpoint);
    }
    ASSERT_TRUE(load);
    EXPECT_EQ(load->cpu_permille, 900);
    EXPECT_EQ(load->connections, 12u);
    EXPECT_GT(load->memory_permille, 0);

    // The prober attaches it to the target's reports.
    auto receiver = net::UdpSocket::bind(loopback());
    Reporter reporter(test_key(), "probe-1", {receiver.local_endpoint()});
    auto target = fake_target("origin-1", 1000);
    target.load_agent = agent_endpoint;
    const auto settings =
        fake_checks([](const service::Target&) { return service::Outcome{report::CheckResult::ok, 200, {}, ""}; });
    service::Prober prober({target}, reporter, &poller, settings);
    prober.start();
    const auto messages = receive_all(receiver, 1, std::chrono::seconds(3));
    prober.stop();
    poller.stop();
    agent.stop();
    std::filesystem::remove(override_path);
    ASSERT_EQ(messages.size(), 1u);
    const auto& report = std::get<report::ServiceReport>(messages[0].body);
    EXPECT_TRUE(report.has_load);
    EXPECT_EQ(report.load.cpu_permille, 900);
}

TEST(LoadProtocol, AgentIgnoresQueriesWithAnotherKey) {
    loadp::Agent agent(test_key(), {loopback(), "127.0.0.1", 10'000, std::chrono::milliseconds(100)},
                       loadp::Sampler({"/"}, std::nullopt));
    agent.start();
    auto other_key = *report::Key::from_bytes(std::vector<std::uint8_t>(32, 8));
    loadp::LoadPoller poller(other_key, {"intruder", 10'000, std::chrono::milliseconds(100)}, {agent.local_endpoint()});
    poller.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_FALSE(poller.latest(agent.local_endpoint()));
    poller.stop();
    agent.stop();
    EXPECT_EQ(agent.answered(), 0u);
    EXPECT_GT(agent.dropped(), 0u);
}

}  // namespace
}  // namespace udn::probe
