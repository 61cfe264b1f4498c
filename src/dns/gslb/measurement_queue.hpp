// Clients (resolvers or ECS subnets) whose latency is unknown or stale, handed from query workers to the thread
// that sends latency requests to the POPs' probes. A fixed ring: pushing never blocks or
// allocates (when the ring is busy or full the prefix is simply asked for again later).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/net/ip_address.hpp"

namespace udn::dns::gslb {

class MeasurementQueue {
public:
    void push(const net::IpAddress& client) {
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock() || count_ == ring_.size()) return;
        ring_[(head_ + count_) % ring_.size()] = client;
        ++count_;
    }

    // Moves everything queued into `out`.
    void drain(std::vector<net::IpAddress>& out) {
        std::lock_guard lock(mutex_);
        for (; count_ > 0; --count_) {
            out.push_back(ring_[head_]);
            head_ = (head_ + 1) % ring_.size();
        }
    }

private:
    std::mutex mutex_;
    std::array<net::IpAddress, 4096> ring_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

}  // namespace udn::dns::gslb
