// The load agent (`udn loadp`): samples this machine's load every second and answers
// authenticated load queries (docs/protocols.md, types 4 and 5) on ports.loadp with the
// latest sample. Queries with a bad MAC, stale or replayed are dropped without an answer.
#pragma once
#include <atomic>
#include <mutex>
#include <thread>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/loadp/sampler.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::loadp {

class Agent {
public:
    struct Settings {
        udn::net::Endpoint bind;
        std::string sender;  // our name in answers: the server name or the bind address
        std::uint32_t max_age_ms = 10000;
        std::chrono::milliseconds sample_interval{1000};
    };
    Agent(report::Key key, Settings settings, Sampler sampler);
    ~Agent();

    void start();
    void stop();
    udn::net::Endpoint local_endpoint() const { return socket_.local_endpoint(); }
    std::uint64_t answered() const { return answered_.load(); }
    std::uint64_t dropped() const { return dropped_.load(); }

private:
    void serve();
    void sample_loop();

    Settings settings_;
    report::Signer signer_;
    report::Verifier verifier_;
    Sampler sampler_;
    net::UdpSocket socket_;
    std::mutex sample_mutex_;
    report::LoadSample latest_;
    std::uint64_t latest_at_ms_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> answered_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::thread server_;
    std::thread sampler_thread_;
};

}  // namespace udn::probe::loadp
