// How `udn admin push/status/rollback` find the network they act on: an explicit --config
// and --key, or the directory `udn up` wrote (--state-dir): its endpoints.json may name the
// admin key ("admin_key"), and the nodes' stores hold the committed configuration.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/config/config.hpp"

namespace udn::configd::admin {

struct NetworkOptions {
    std::filesystem::path state_dir;    // may be empty
    std::filesystem::path config_path;  // may be empty
    std::filesystem::path key_path;     // may be empty
    std::filesystem::path journal_path; // may be empty
};

// The committed configuration of the network: --config, else the newest valid
// <state-dir>/nodes/*/configd/current.toml. Throws std::runtime_error explaining what to pass.
std::shared_ptr<const config::Config> current_network_config(const NetworkOptions& options);

// --key, else endpoints.json's "admin_key", else <state-dir>/admin.key. Throws when none.
std::filesystem::path admin_key_path(const NetworkOptions& options);

// --journal, else <state-dir>/admin/push-journal.json, else ./udn-push-journal.json.
std::filesystem::path journal_path(const NetworkOptions& options);

}  // namespace udn::configd::admin
