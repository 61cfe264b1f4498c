// Registers the `udn` subcommands of the probe component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::probe {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::probe
