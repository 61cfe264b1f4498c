// The POP's latency probe inside `udn probe`: takes latency requests from DNS servers on
// ports.latency (many client resolvers per datagram), answers at once from its table what is
// fresh, measures the rest on worker threads, sends results back to the asking DNS servers in
// batches, and re-measures wanted clients before their results go stale.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "probe/latency/measurer.hpp"
#include "probe/latency/table.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::latency {

class LatencyProbe {
public:
    struct Settings {
        udn::net::Endpoint bind;
        std::string sender;  // this server's name
        std::string pop;     // this POP's name, in every result
        std::uint32_t max_age_ms = 10000;          // probe.report_max_age_ms
        std::uint64_t staleness_ms = 3'600'000;    // probe.latency_staleness_s: refresh at half of it
        std::size_t batch_max = 64;                // probe.latency_batch_max
        std::size_t threads = 16;
        std::size_t max_queue = 100'000;           // clients waiting to be measured
    };
    LatencyProbe(report::Key key, Settings settings, std::unique_ptr<Measurer> measurer);
    ~LatencyProbe();

    void start();
    void stop();
    udn::net::Endpoint local_endpoint() const { return socket_.local_endpoint(); }
    const Measurer& measurer() const { return *measurer_; }
    std::uint64_t requests_accepted() const { return requests_.load(); }
    std::uint64_t datagrams_dropped() const { return dropped_.load(); }
    std::size_t table_size();

private:
    void receive_loop();
    void measure_loop();
    void handle_request(const report::LatencyRequest& request, const udn::net::Endpoint& requester);
    void enqueue(std::vector<udn::net::IpAddress> clients);
    void queue_result(const udn::net::Endpoint& requester, const report::LatencyMeasurement& measurement);
    void flush();
    void send_results(const udn::net::Endpoint& to, std::vector<report::LatencyMeasurement> measurements);

    Settings settings_;
    report::Signer signer_;
    report::Verifier verifier_;
    std::unique_ptr<Measurer> measurer_;
    net::UdpSocket socket_;

    std::mutex table_mutex_;
    ResolverTable table_;

    std::mutex queue_mutex_;
    std::condition_variable queue_ready_;
    std::deque<udn::net::IpAddress> queue_;

    std::mutex outbox_mutex_;
    std::map<udn::net::Endpoint, std::vector<report::LatencyMeasurement>> outbox_;

    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::thread receiver_;
    std::vector<std::thread> workers_;
};

}  // namespace udn::probe::latency
