// `udn check` and `udn node`: the subcommands that belong to no single role.
#include <CLI/CLI.hpp>

#include "cli/registrars.hpp"

namespace udn::cli {

void register_commands(CommandTree /*tree*/) {}

}  // namespace udn::cli
