// Tells the udn processes of this server that a new configuration is committed: SIGHUP to
// every pid in <state-dir>/run/*.pid except our own (the role convention of docs/configd.md)
// whose file a running process holds locked; leftovers of killed processes are skipped.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace udn::configd::daemon {

// Returns one line per process signalled or skipped, for the log.
std::vector<std::string> signal_local_roles(const std::filesystem::path& run_directory);

}  // namespace udn::configd::daemon
