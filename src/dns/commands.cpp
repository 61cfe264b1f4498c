// Registers the `udn` subcommands of the dns component (see src/cli/registrars.hpp):
// `udn dns` (the role) and `udn admin explain NAME CLIENT-IP` (why a client gets an answer).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <iostream>

#include "cli/registrars.hpp"
#include "common/config/loader.hpp"
#include "dns/gslb/engine.hpp"
#include "dns/server/dns_role.hpp"
#include "dns/server/serving_state.hpp"

namespace udn::dns {
namespace {

int explain(const std::string& config_path, const std::string& name, const std::string& client_text,
            const std::string& type) {
    const auto config = config::load_file_or_throw(config_path);
    std::vector<std::string> errors;
    const auto table = gslb::DomainTable::build(*config, errors);
    if (!table) {
        for (const auto& error : errors) std::cerr << error << "\n";
        return 1;
    }
    std::string lowered = name;
    if (!lowered.empty() && lowered.back() == '.') lowered.pop_back();
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
    const int index = table->find(lowered);
    if (index < 0) {
        std::cerr << "explain: " << name << " is not a GSLB name of any customer in " << config_path
                  << " — use a customers[].domains[].name\n";
        return 1;
    }
    const auto client = net::Cidr::parse(client_text.find('/') == std::string::npos
                                             ? client_text + (client_text.find(':') == std::string::npos ? "/32" : "/128")
                                             : client_text);
    if (!client) {
        std::cerr << "explain: \"" << client_text << "\" is not an IP address or CIDR — e.g. 192.0.2.1 or 192.0.2.0/24\n";
        return 1;
    }
    const bool subnet = client->prefix_length() < (client->network().is_v4() ? 32u : 128u);
    gslb::ObservationView no_observations;
    gslb::EngineInputs inputs{config.get(), &no_observations, nullptr, nullptr, nullptr, 1,
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count()};
    gslb::RandomState random;
    gslb::Explanation explanation;
    const auto family = type == "AAAA" ? net::IpAddress::Family::v6 : net::IpAddress::Family::v4;
    const auto decision = gslb::decide(table->domain(static_cast<std::size_t>(index)), static_cast<std::size_t>(index),
                                       family, {client->network(), client->prefix_length(), subnet}, inputs, random,
                                       &explanation);
    std::cout << explanation.to_text();
    std::cout << "note: computed from the configuration alone (no probe data); a running server's live view is\n"
                 "      not queried by this command\n";
    if (decision.outcome == gslb::Decision::Outcome::servfail) std::cout << "answer: SERVFAIL\n";
    return 0;
}

}  // namespace

void register_commands(CommandTree tree) {
    auto settings = std::make_shared<server::RoleSettings>();
    auto* role = tree.root.add_subcommand("dns", "Authoritative DNS with global server load balancing");
    role->add_option("--config", settings->config_path, "Configuration file (TOML)")->required()->check(CLI::ExistingFile);
    role->add_option("--server", settings->server, "This server's name (pops[].servers[].name)")->required();
    role->add_option("--state-dir", settings->state_dir, "State directory (default ./state/<server>)");
    role->add_option("--log-format", settings->log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
    role->add_option("--workers", settings->udp_workers, "UDP worker threads (SO_REUSEPORT sockets)")
        ->check(CLI::Range(1, 64));
    role->callback([settings] {
        if (const int code = server::run_dns_role(*settings); code != 0) throw CLI::RuntimeError(code);
    });

    auto explain_args = std::make_shared<std::array<std::string, 4>>();
    (*explain_args)[3] = "A";
    auto* command = tree.admin.add_subcommand("explain", "Explain the GSLB decision for NAME and CLIENT-IP");
    command->add_option("name", (*explain_args)[0], "A GSLB name, e.g. www.acme.example")->required();
    command->add_option("client", (*explain_args)[1], "Client (resolver) address or ECS subnet")->required();
    command->add_option("--config", (*explain_args)[2], "Configuration file (TOML)")->required()->check(CLI::ExistingFile);
    command->add_option("--type", (*explain_args)[3], "A or AAAA")->check(CLI::IsMember({"A", "AAAA"}));
    command->callback([explain_args] {
        const auto& a = *explain_args;
        if (const int code = explain(a[2], a[0], a[1], a[3]); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace udn::dns
