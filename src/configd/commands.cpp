// Registers `udn configd` and the admin verbs push/status/rollback (see src/cli/registrars.hpp).
#include <CLI/CLI.hpp>

#include <memory>
#include <stdexcept>

#include "cli/registrars.hpp"
#include "common/net/ip_address.hpp"
#include "common/runtime/logging.hpp"
#include "common/runtime/role_options.hpp"
#include "configd/admin/verbs.hpp"
#include "configd/daemon/daemon.hpp"

namespace udn::configd {

namespace {

void add_network_options(CLI::App& command, admin::NetworkOptions& network) {
    command.add_option("--state-dir", network.state_dir, "directory `udn up` wrote (finds the nodes and the admin key)");
    command.add_option("--config", network.config_path, "the network's current configuration (instead of --state-dir)");
    command.add_option("--journal", network.journal_path,
                       "push journal (default <state-dir>/admin/push-journal.json or ./udn-push-journal.json)");
}

void register_daemon(CLI::App& root) {
    struct Args {
        runtime::RoleOptions role;
        std::string listen;
        int sync_interval_ms = 30000;
    };
    auto args = std::make_shared<Args>();
    auto* command = root.add_subcommand("configd", "Configuration daemon: receives signed pushes over TLS, stores "
                                                   "them, reloads the local roles");
    runtime::add_role_options(*command, args->role);
    command->add_option("--listen", args->listen, "listen on ADDRESS:PORT instead of the server's address and ports.configd");
    command->add_option("--sync-interval-ms", args->sync_interval_ms,
                        "how often to ask the parent for a newer committed version")
        ->check(CLI::Range(100, 86400000));
    command->callback([args] {
        runtime::setup_logging(args->role.log_options("configd"));
        daemon::DaemonOptions options;
        options.config_path = args->role.config_path;
        options.server = args->role.server;
        options.state_dir = args->role.effective_state_dir();
        options.sync_interval_ms = args->sync_interval_ms;
        if (!args->listen.empty()) {
            const auto endpoint = net::Endpoint::parse(args->listen);
            if (!endpoint) throw std::runtime_error("--listen wants ADDRESS:PORT, e.g. 127.0.0.1:5304 or [::1]:5304");
            options.listen_override = true;
            options.listen_address = endpoint->address.to_string();
            options.listen_port = endpoint->port;
        }
        const int code = daemon::run_configd(options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

void register_push(CLI::App& admin) {
    auto options = std::make_shared<admin::PushOptions>();
    auto* command = admin.add_subcommand("push", "Validate, sign and push a configuration down the push tree (two phases)");
    command->add_option("file", options->file, "the new configuration (its `version` must be above the committed one)");
    add_network_options(*command, options->network);
    command->add_option("--key", options->network.key_path, "admin private key, PEM Ed25519");
    command->add_option("--key-name", options->key_name, "admin key name to sign as (default: found in the file)");
    command->add_flag("--prepare-only", options->prepare_only, "stop after PREPARE; commit later with --resume");
    command->add_flag("--resume", options->resume, "finish an interrupted push from its journal");
    command->add_flag("--json", options->json, "print the per-node report as JSON");
    command->add_option("--timeout-ms", options->timeout_ms, "per-level silence allowed (default push.prepare_timeout_ms)");
    command->callback([options] {
        const int code = admin::push_verb(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

void register_status(CLI::App& admin) {
    auto network = std::make_shared<admin::NetworkOptions>();
    auto json = std::make_shared<bool>(false);
    auto* command = admin.add_subcommand("status", "Each configd node's committed version; flags divergence "
                                                   "(exit 0 all equal, 1 some unreachable, 3 divergent)");
    add_network_options(*command, *network);
    command->add_flag("--json", *json, "print as JSON");
    command->callback([network, json] {
        const int code = admin::status_verb(*network, *json);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

void register_rollback(CLI::App& admin) {
    auto options = std::make_shared<admin::RollbackOptions>();
    auto* command = admin.add_subcommand("rollback", "Push a kept older version again (as a new version, two phases)");
    add_network_options(*command, options->network);
    command->add_option("--to", options->to_version, "the version to go back to (default: the previous kept one)");
    command->add_option("--key", options->network.key_path, "admin private key, PEM Ed25519");
    command->add_option("--key-name", options->key_name, "admin key name to sign as (default: found in the file)");
    command->add_flag("--json", options->json, "print the per-node report as JSON");
    command->callback([options] {
        const int code = admin::rollback_verb(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace

void register_commands(CommandTree tree) {
    register_daemon(tree.root);
    register_push(tree.admin);
    register_status(tree.admin);
    register_rollback(tree.admin);
}

}  // namespace udn::configd
