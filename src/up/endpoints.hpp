// <state>/endpoints.json: everything `udn up` started (role, POP, server, pid, addresses,
// ports, admin/metrics URL, log file) and every customer domain with its kind, so that scripts,
// tests and `udn admin --state-dir` find the network without parsing logs. The format is
// documented in docs/operations.md.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "up/plan.hpp"

namespace udn::up {

struct EndpointsInputs {
    const config::Config* config = nullptr;
    std::filesystem::path config_path;     // the file `up` was given
    std::filesystem::path state_dir;
    std::filesystem::path admin_key_path;  // empty when unknown
    const std::vector<PlannedProcess>* processes = nullptr;
    std::vector<pid_t> pids;               // parallel to processes; 0 = not running
};

std::string render_endpoints_json(const EndpointsInputs& inputs);
// Writes <state_dir>/endpoints.json atomically (temporary file + rename); returns its path.
std::filesystem::path write_endpoints_json(const EndpointsInputs& inputs);

}  // namespace udn::up
