// One UDP worker: its own SO_REUSEPORT socket per listening address, receiving and answering
// queries in batches with recvmmsg/sendmmsg into buffers allocated once. With a cluster of DNS
// servers it also forwards GSLB queries to the server owning the client's state (its own
// Forwarder) and answers the queries other servers forward to it (on ports.dns_cluster).
// With one address and no cluster the worker blocks in recvmmsg itself (one system call per
// batch); otherwise it polls, then drains each ready client socket.
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/cluster/forwarder.hpp"
#include "dns/server/query_handler.hpp"
#include "dns/server/query_sink.hpp"

namespace udn::dns::server {

class UdpWorker {
public:
    // `cluster_endpoints` (ports.dns_cluster on this server's addresses) may be empty: then the
    // worker neither forwards nor serves forwarded queries.
    UdpWorker(std::size_t index, SharedState& shared, const std::vector<net::Endpoint>& endpoints,
              const std::vector<net::Endpoint>& cluster_endpoints, QuerySink& sink);
    ~UdpWorker();
    void start();
    void stop();  // joins

    const cluster::ForwarderCounters* forwarder_counters() const {
        return forwarder_ ? &forwarder_->counters() : nullptr;
    }
    std::uint64_t served_for_peers() const { return served_for_peers_.load(std::memory_order_relaxed); }
    std::uint64_t rejected_envelopes() const { return rejected_envelopes_.load(std::memory_order_relaxed); }
    // Persistence entries other servers handed over that this one took (cluster/handover.hpp).
    std::uint64_t persistence_adopted() const { return persistence_adopted_.load(std::memory_order_relaxed); }
    // Latency measurements other servers handed over that this one took.
    std::uint64_t latency_adopted() const { return latency_adopted_.load(std::memory_order_relaxed); }
    // Answers the kernel refused to send (net::send_batch): to an address no route leads to, to
    // source port 0 of a forged query, ...
    std::uint64_t unsent_answers() const { return unsent_answers_.load(std::memory_order_relaxed); }

private:
    void run();
    // Returns the number of datagrams received (0 when none was waiting or on timeout).
    std::size_t serve_batch(int fd, int flags);
    void serve_forwarded(int fd);
    void answer_expired(std::int64_t now_ms);
    void adopt_latency(const ServingState& serving, std::span<const std::uint8_t> message,
                       const std::optional<report::Key>& key, std::int64_t now_ms);
    int poll_timeout_ms(std::int64_t now_ms) const;
    void count_unsent(std::size_t refused) {
        if (refused != 0) unsent_answers_.fetch_add(refused, std::memory_order_relaxed);
    }

    struct Buffers;
    std::size_t index_;
    SharedState& shared_;
    QueryHandler handler_;
    QuerySink& sink_;
    std::vector<int> fds_;
    std::vector<int> cluster_fds_;
    std::unique_ptr<cluster::Forwarder> forwarder_;
    std::unique_ptr<Buffers> buffers_;
    std::atomic<std::uint64_t> served_for_peers_{0};
    std::atomic<std::uint64_t> rejected_envelopes_{0};
    std::atomic<std::uint64_t> persistence_adopted_{0};
    std::atomic<std::uint64_t> latency_adopted_{0};
    std::atomic<std::uint64_t> unsent_answers_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace udn::dns::server
