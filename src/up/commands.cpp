// Registers the `udn` subcommands of the up component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::up {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::up
