// The DNS role's side of the report protocol: receives probe reports (service checks, load)
// and latency results, drops forged, replayed and stale ones (report::Verifier), feeds the
// observation store and latency table, and asks each POP's latency probe to measure the
// clients whose latency is unknown or stale, many clients per datagram.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/server/serving_state.hpp"

namespace udn::dns::server {

struct ProbeLinkCounters {
    std::atomic<std::uint64_t> reports_accepted{0};
    std::atomic<std::uint64_t> reports_rejected{0};  // forged, replayed, stale, malformed
    std::atomic<std::uint64_t> reports_bad_version{0};  // of those: a protocol version this build does not speak
    // The rejected by report::Error (bad_mac = another key, stale/from_future = clock skew,
    // replayed = a sender's sequence went backwards): what an operator needs to fix it.
    std::array<std::atomic<std::uint64_t>, 16> reports_rejected_by_reason{};
    std::atomic<std::uint64_t> reports_unknown_sender{0};
    std::atomic<std::uint64_t> latency_results{0};
    std::atomic<std::uint64_t> latency_requests_sent{0};
    std::atomic<std::uint64_t> latency_clients_requested{0};
};

class ProbeLink {
public:
    // Binds ports.reports on every address of `server_name` and an ephemeral latency socket.
    ProbeLink(SharedState& shared, const std::string& server_name);
    ~ProbeLink();
    void start();
    void stop();
    const ProbeLinkCounters& counters() const { return counters_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    ProbeLinkCounters counters_;
};

}  // namespace udn::dns::server
