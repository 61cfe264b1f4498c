// Shared role options; see role_options.hpp.
#include "common/runtime/role_options.hpp"

#include <CLI/CLI.hpp>

#include <stdexcept>

namespace udn::runtime {

std::filesystem::path RoleOptions::effective_state_dir() const {
    return state_dir.empty() ? std::filesystem::path("state") / server : state_dir;
}

LogOptions RoleOptions::log_options(std::string role) const {
    const auto format = parse_log_format(log_format);
    if (!format) throw std::runtime_error("--log-format '" + log_format + "' is not one of text, json");
    const auto level = parse_log_level(log_level);
    if (!level) {
        throw std::runtime_error("--log-level '" + log_level + "' is not one of trace, debug, info, warn, error, off");
    }
    return LogOptions{std::move(role), server, *format, *level};
}

void add_role_options(CLI::App& command, RoleOptions& options) {
    command.add_option("--config", options.config_path, "Configuration file (TOML)")->required()->check(CLI::ExistingFile);
    command.add_option("--server", options.server, "This server's name in the configuration (pops[].servers[].name)")
        ->required();
    command.add_option("--state-dir", options.state_dir, "State directory (default ./state/<server>)");
    command.add_option("--log-format", options.log_format, "text or json (JSON lines)")
        ->check(CLI::IsMember({"text", "json", "json-lines"}));
    command.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, off");
}

}  // namespace udn::runtime
