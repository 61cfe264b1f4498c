// Registers the `udn` subcommands of the configd component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::configd {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::configd
