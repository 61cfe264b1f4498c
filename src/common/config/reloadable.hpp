// The configuration a role runs with: loaded from a file at start-up, re-read on reload
// (SIGHUP), validated, and swapped atomically. A file that fails validation on reload leaves the
// running snapshot in place, so a bad push or edit never takes a role down.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "common/config/config.hpp"
#include "common/config/loader.hpp"
#include "common/config/snapshot.hpp"

namespace udn::config {

class ReloadableConfig {
public:
    // Throws std::runtime_error listing every diagnostic when the file is invalid (start-up is
    // the control path: a role must not start on a broken file).
    explicit ReloadableConfig(std::filesystem::path path);

    struct ReloadOutcome {
        bool changed = false;      // a new snapshot was published
        std::string message;       // what happened, for the log
    };
    // Re-reads the file. Unchanged content (same hash) publishes nothing.
    ReloadOutcome reload();

    const Snapshot<Config>& snapshot() const { return snapshot_; }
    std::shared_ptr<const Config> current() const { return snapshot_.get(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    Snapshot<Config> snapshot_;
};

}  // namespace udn::config
