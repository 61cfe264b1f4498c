// Registers the `udn` subcommands of the origin component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::origin {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::origin
