// The command-line options every role shares (`udn <role> --config FILE --server NAME
// [--state-dir DIR] [--log-format text|json] [--log-level LEVEL]`), declared once so that all
// roles spell and default them the same way.
#pragma once
#include <filesystem>
#include <string>

#include "common/runtime/logging.hpp"

namespace CLI {
class App;
}

namespace udn::runtime {

struct RoleOptions {
    std::filesystem::path config_path;
    std::string server;
    std::filesystem::path state_dir;  // empty until parsed: see effective_state_dir()
    std::string log_format = "text";
    std::string log_level = "info";

    // --state-dir, or ./state/<server> when not given.
    std::filesystem::path effective_state_dir() const;
    // The logging options for this role; throws std::runtime_error on a bad format or level.
    LogOptions log_options(std::string role) const;
};

// Adds --config (required, existing file), --server (required), --state-dir, --log-format and
// --log-level to `command`, bound to `options` (which must outlive parsing).
void add_role_options(CLI::App& command, RoleOptions& options);

}  // namespace udn::runtime
