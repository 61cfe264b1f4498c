// Registers the `udn` subcommands of the dns component (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::dns {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::dns
