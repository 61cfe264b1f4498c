// The prober's side of the load protocol: queries every target's load agent once per
// interval over UDP, verifies the answers (MAC, freshness, replay, and that each answers a
// query we sent to that very address) and keeps the latest sample per agent.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/net/socket.hpp"
#include "probe/service/prober.hpp"

namespace udn::probe::loadp {

class LoadPoller : public service::LoadSource {
public:
    struct Settings {
        std::string sender;
        std::uint32_t max_age_ms = 10000;
        std::chrono::milliseconds interval{1000};
    };
    LoadPoller(report::Key key, Settings settings, std::vector<udn::net::Endpoint> agents);
    ~LoadPoller() override;

    void start();
    void stop();
    // The agent's latest sample if one arrived within 3 intervals.
    std::optional<report::LoadSample> latest(const udn::net::Endpoint& agent) const override;
    std::uint64_t answers_accepted() const { return accepted_.load(); }

private:
    void run();
    void send_queries();
    void receive_until(std::chrono::steady_clock::time_point until);

    struct Known {
        report::LoadSample sample;
        std::chrono::steady_clock::time_point received;
    };
    Settings settings_;
    std::vector<udn::net::Endpoint> agents_;
    report::Signer signer_;
    report::Verifier verifier_;
    net::UdpSocket v4_;
    net::UdpSocket v6_;
    std::map<std::uint64_t, udn::net::Endpoint> outstanding_;  // query sequence -> agent asked
    mutable std::mutex mutex_;
    std::map<udn::net::Endpoint, Known> latest_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> accepted_{0};
    std::thread thread_;
};

}  // namespace udn::probe::loadp
