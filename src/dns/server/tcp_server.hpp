// DNS over TCP (RFC 7766): one event-loop thread, length-prefixed messages, pipelined queries
// answered in order, idle connections closed after a timeout, a cap on connections and on
// unsent output per connection. In a cluster, GSLB queries of clients another DNS server owns
// are forwarded to it like UDP ones (docs/dns.md, "Scaling out").
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/server/query_handler.hpp"
#include "dns/server/query_sink.hpp"

namespace udn::dns::server {

struct TcpSettings {
    int idle_timeout_ms = 10'000;
    std::size_t max_connections = 512;
    std::size_t max_pending_output_bytes = 256 * 1024;
};

class TcpServer {
public:
    // `cluster_address`: this server's address for forwarding (none: a lone server).
    TcpServer(std::size_t worker_index, SharedState& shared, const std::vector<net::Endpoint>& endpoints,
              QuerySink& sink, TcpSettings settings = {}, const std::optional<net::IpAddress>& cluster_address = {});
    ~TcpServer();
    void start();
    void stop();
    const cluster::ForwarderCounters* forwarder_counters() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace udn::dns::server
