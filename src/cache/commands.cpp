// Registers the `udn` subcommands of the cache component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::cache {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::cache
