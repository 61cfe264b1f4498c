// Registers the `udn` subcommands of the dns component (see src/cli/registrars.hpp):
// `udn dns` (the role) and `udn admin explain NAME CLIENT` (why a client gets an answer).
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "cli/registrars.hpp"
#include "common/config/loader.hpp"
#include "common/report/signer.hpp"
#include "common/runtime/role_options.hpp"
#include "dns/server/dns_role.hpp"
#include "dns/server/explain.hpp"

namespace udn::dns {
namespace {

struct ExplainArgs {
    std::string name, client, config_path, server, type = "A";
};

int explain(const ExplainArgs& args) {
    const auto config = config::load_file_or_throw(args.config_path);
    if (!args.server.empty()) {
        const auto* server = config->find_server(args.server);
        if (server == nullptr || server->addresses.empty() || !server->has_role(config::Role::dns)) {
            std::cerr << "explain: --server " << args.server << " is not a server with the dns role in "
                      << args.config_path << "\n";
            return 1;
        }
        std::cout << server::fetch_explanation({server->addresses.front(), config->ports.dns_admin}, args.name,
                                               args.client, args.type);
        return 0;
    }
    std::vector<std::string> errors;
    const auto serving = server::ServingState::build(config, 1, errors);
    if (!serving) {
        for (const auto& error : errors) std::cerr << error << "\n";
        return 1;
    }
    const auto result = server::explain_decision(*serving, nullptr, args.name, args.client, args.type,
                                                 static_cast<std::int64_t>(report::unix_time_ms()));
    (result.ok ? std::cout : std::cerr) << (result.ok ? "" : "explain: ") << result.text << (result.ok ? "" : "\n");
    return result.ok ? 0 : 1;
}

}  // namespace

void register_commands(CommandTree tree) {
    auto settings = std::make_shared<server::RoleSettings>();
    auto* role = tree.root.add_subcommand("dns", "Authoritative DNS with global server load balancing");
    runtime::add_role_options(*role, settings->role);
    role->add_option("--workers", settings->udp_workers, "UDP worker threads (SO_REUSEPORT sockets)")
        ->check(CLI::Range(1, 64));
    role->add_option("--query-log", settings->query_log, "Write a spool line per query (true/false)");
    role->callback([settings] {
        if (const int code = server::run_dns_role(*settings); code != 0) throw CLI::RuntimeError(code);
    });

    auto args = std::make_shared<ExplainArgs>();
    auto* command = tree.admin.add_subcommand("explain", "Explain the GSLB decision for NAME and a client");
    command->add_option("name", args->name, "A GSLB name, e.g. www.acme.example")->required();
    command->add_option("client", args->client, "Client (resolver) address, or an ECS subnet such as 192.0.2.0/24")->required();
    command->add_option("--config", args->config_path, "Configuration file (TOML)")->required()->check(CLI::ExistingFile);
    command->add_option("--server", args->server, "Ask this running dns server (its live probe data) instead");
    command->add_option("--type", args->type, "A or AAAA")->check(CLI::IsMember({"A", "AAAA"}));
    command->callback([args] {
        if (const int code = explain(*args); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace udn::dns
