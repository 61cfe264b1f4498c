// `udn probe` and `udn loadp` as runnable roles: each built from one config snapshot, started,
// and stopped; a reload builds a new one from the new snapshot and replaces the old.
#pragma once
#include <memory>

#include "common/config/config.hpp"
#include "probe/latency/measurer.hpp"

namespace udn::probe {

struct ProbeOptions {
    std::string server;       // --server: whose address we bind and whose name we sign with
    std::size_t max_checks_in_flight = 1000;
    std::size_t latency_max_in_flight = 4096;  // clients measured at once
    std::size_t latency_max_connects = 1024;   // tcp_connect sockets open at once
    std::uint32_t latency_timeout_ms = 500;  // per latency probe; a method none of whose probes
                                             // answered makes way for the next
    std::uint32_t latency_spacing_ms = 25;   // between a measurement's probes
};

// Counters of a running probe, for /metrics and the periodic status log line.
struct ProbeStats {
    std::uint64_t checks_run = 0;
    std::uint64_t checks_timed_out = 0;
    std::size_t checks_in_flight = 0;
    std::size_t services = 0;
    std::size_t services_down = 0;
    std::uint64_t reports_sent = 0;
    std::uint64_t report_send_failures = 0;
    std::uint64_t load_answers = 0;
    std::uint64_t latency_requests = 0;
    std::uint64_t latency_dropped = 0;
    std::size_t latency_clients = 0;
    std::size_t latency_in_flight = 0;
    std::size_t latency_waiting = 0;
    std::vector<latency::MethodStats> methods;
};

inline std::string_view latency_method_name(report::LatencyMethod method) { return latency::name_of(method); }

class ProbeRole {
public:
    ProbeRole(std::shared_ptr<const config::Config> config, const ProbeOptions& options);
    ~ProbeRole();
    // Before start(), on reload: keeps what the replaced (stopped) role knew that still holds —
    // the up/down state of services whose check did not change, and the check counters.
    void take_state_from(const ProbeRole& previous);
    void start();
    void stop();
    std::string summary() const;
    ProbeStats stats() const;
    std::string status() const;  // one line of counters for the log

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

struct LoadAgentOptions {
    std::string server;  // --server, or
    std::string bind;    // --bind ADDRESS for a machine outside the config (a customer's origin)
    std::string override_file;
    std::vector<std::string> disk_paths;
};

class LoadAgentRole {
public:
    LoadAgentRole(std::shared_ptr<const config::Config> config, const LoadAgentOptions& options);
    ~LoadAgentRole();
    void start();
    void stop();
    std::string summary() const;
    std::uint64_t answered() const;
    std::uint64_t dropped() const;
    std::string status() const;

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace udn::probe
