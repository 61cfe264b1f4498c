// One UDP worker: its own SO_REUSEPORT socket per listening address, receiving and answering
// queries in batches with recvmmsg/sendmmsg into buffers allocated once. With one address the
// worker blocks in recvmmsg itself (one system call per batch); with several it polls and
// then drains each ready socket.
#pragma once
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/server/query_handler.hpp"
#include "dns/server/query_sink.hpp"

namespace udn::dns::server {

class UdpWorker {
public:
    UdpWorker(std::size_t index, SharedState& shared, const std::vector<net::Endpoint>& endpoints, QuerySink& sink);
    ~UdpWorker();
    void start();
    void stop();  // joins

private:
    void run();
    // Returns the number of datagrams received (0 when none was waiting or on timeout).
    std::size_t serve_batch(int fd, int flags);

    struct Buffers;
    std::size_t index_;
    QueryHandler handler_;
    QuerySink& sink_;
    std::vector<int> fds_;
    std::unique_ptr<Buffers> buffers_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace udn::dns::server
