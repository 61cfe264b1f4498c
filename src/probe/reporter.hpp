// Sends signed report datagrams to every receiver: each server with the dns role and each log
// server, at their first address and ports.reports. Nothing is stored or retried: the next
// check's report supersedes a lost one. Thread-safe.
#pragma once
#include <atomic>
#include <vector>

#include "common/config/config.hpp"
#include "common/report/signer.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe {

std::vector<udn::net::Endpoint> report_destinations(const config::Config& config);

class Reporter {
public:
    Reporter(report::Key key, std::string sender, std::vector<udn::net::Endpoint> destinations);

    // Signs once and sends to every destination; returns how many sends succeeded.
    std::size_t send(const report::Body& body, std::uint64_t timestamp_ms);

    std::uint64_t datagrams_sent() const { return sent_.load(std::memory_order_relaxed); }
    std::uint64_t send_failures() const { return failed_.load(std::memory_order_relaxed); }
    const std::vector<udn::net::Endpoint>& destinations() const { return destinations_; }
    const std::string& sender() const { return signer_.sender(); }

private:
    report::Signer signer_;
    std::vector<udn::net::Endpoint> destinations_;
    net::UdpSocket v4_;
    net::UdpSocket v6_;
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> failed_{0};
};

}  // namespace udn::probe
