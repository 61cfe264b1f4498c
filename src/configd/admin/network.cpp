#include "configd/admin/network.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "common/config/loader.hpp"
#include "common/runtime/atomic_file.hpp"

namespace udn::configd::admin {

namespace fs = std::filesystem;

std::shared_ptr<const config::Config> current_network_config(const NetworkOptions& options) {
    if (!options.config_path.empty()) return config::load_file_or_throw(options.config_path);
    if (options.state_dir.empty()) {
        throw std::runtime_error("which network? pass --state-dir DIR (the directory `udn up` wrote) or --config FILE "
                                 "(the network's current configuration)");
    }
    std::shared_ptr<const config::Config> newest;
    std::error_code error;
    for (const auto& node : fs::directory_iterator(options.state_dir / "nodes", error)) {
        const auto path = node.path() / "configd" / "current.toml";
        if (!fs::exists(path)) continue;
        auto loaded = config::load_file(path);
        if (loaded.ok() && (!newest || loaded.config->version > newest->version)) newest = loaded.config;
    }
    if (!newest) {
        throw std::runtime_error("no node configuration under " + (options.state_dir / "nodes").string() +
                                 " — is this the directory `udn up --state-dir` used? Or pass --config FILE");
    }
    return newest;
}

fs::path admin_key_path(const NetworkOptions& options) {
    if (!options.key_path.empty()) return options.key_path;
    if (!options.state_dir.empty()) {
        if (const auto text = runtime::read_file(options.state_dir / "endpoints.json")) {
            const auto json = nlohmann::json::parse(*text, nullptr, false);
            if (json.is_object() && json.contains("admin_key") && json["admin_key"].is_string()) {
                fs::path key = json["admin_key"].get<std::string>();
                if (key.is_relative()) key = options.state_dir / key;
                return key;
            }
        }
        if (fs::exists(options.state_dir / "admin.key")) return options.state_dir / "admin.key";
    }
    throw std::runtime_error("no admin key: pass --key FILE (a PEM Ed25519 private key whose public half is in "
                             "admin_keys; the demo's is examples/demo-admin.key)");
}

fs::path journal_path(const NetworkOptions& options) {
    if (!options.journal_path.empty()) return options.journal_path;
    if (!options.state_dir.empty()) return options.state_dir / "admin" / "push-journal.json";
    return "udn-push-journal.json";
}

}  // namespace udn::configd::admin
