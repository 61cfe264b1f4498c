#include "common/config/reloadable.hpp"

namespace udn::config {

ReloadableConfig::ReloadableConfig(std::filesystem::path path)
    : path_(std::move(path)), snapshot_(load_file_or_throw(path_)) {}

ReloadableConfig::ReloadOutcome ReloadableConfig::reload() {
    auto result = load_file(path_);
    const auto running = snapshot_.get();
    if (!result.ok()) {
        return {false, "reload of " + path_.string() + " rejected, still running version " +
                           std::to_string(running->version) + ":\n" + result.error_text()};
    }
    if (result.config->content_hash == running->content_hash) {
        return {false, "reload: " + path_.string() + " is unchanged (version " + std::to_string(running->version) + ")"};
    }
    const auto previous_version = running->version;
    const auto next_version = result.config->version;
    snapshot_.replace(std::move(result.config));
    return {true, "reloaded " + path_.string() + ": version " + std::to_string(previous_version) + " -> " +
                      std::to_string(next_version)};
}

}  // namespace udn::config
