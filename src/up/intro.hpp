// The text `udn up` prints once everything started: where the DNS servers, caches and origins
// are, commands to try against them, and where endpoints.json and the logs are.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "up/plan.hpp"

namespace udn::up {

std::string render_intro(const config::Config& config, const std::vector<PlannedProcess>& processes,
                         const std::filesystem::path& state_dir, const std::filesystem::path& config_file);

}  // namespace udn::up
