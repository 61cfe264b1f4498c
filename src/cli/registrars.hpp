// Each component adds its own subcommands to the `udn` command line, so that roles can be
// developed and reviewed independently; main() only calls these in order.
#pragma once

namespace CLI {
class App;
}

namespace udn {

// A callback ends the process with a given exit code by throwing CLI::RuntimeError(code).
// `admin` is the operator's tool; components hang their admin verbs (push, flush, explain, ...) under it.
struct CommandTree {
    CLI::App& root;
    CLI::App& admin;
};

namespace cli { void register_commands(CommandTree tree); }      // check, node
namespace dns { void register_commands(CommandTree tree); }      // dns, admin explain
namespace cache { void register_commands(CommandTree tree); }    // cache, admin flush/prefill
namespace probe { void register_commands(CommandTree tree); }    // probe, loadp
namespace configd { void register_commands(CommandTree tree); }  // configd, admin push/status/rollback
namespace origin { void register_commands(CommandTree tree); }   // origin
namespace up { void register_commands(CommandTree tree); }       // up

}  // namespace udn
