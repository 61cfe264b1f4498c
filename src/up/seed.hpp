// Puts the configuration a server's roles read (<server state>/configd/current.toml, the file
// configd later replaces on a push) in place before the roles start.
#pragma once
#include <filesystem>

namespace udn::up {

enum class SeedMode {
    replace,   // `udn up`: every run starts the network from the given file
    if_newer,  // `udn node`: keep what configd committed unless the given file has a higher version
};

// Copies `source` to `destination` (atomically, directories created) as `mode` says; returns
// whether it copied. Throws std::runtime_error naming the path on I/O errors.
bool seed_role_config(const std::filesystem::path& source, const std::filesystem::path& destination, SeedMode mode);

}  // namespace udn::up
