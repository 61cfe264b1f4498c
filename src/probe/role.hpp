// `udn probe` and `udn loadp` as runnable roles: each built from one config snapshot, started,
// and stopped; a reload builds a new one from the new snapshot and replaces the old.
#pragma once
#include <memory>

#include "common/config/config.hpp"

namespace udn::probe {

struct ProbeOptions {
    std::string server;       // --server: whose address we bind and whose name we sign with
    std::size_t check_threads = 8;
    std::size_t latency_threads = 16;
};

class ProbeRole {
public:
    ProbeRole(std::shared_ptr<const config::Config> config, const ProbeOptions& options);
    ~ProbeRole();
    void start();
    void stop();
    std::string summary() const;

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

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace udn::probe
