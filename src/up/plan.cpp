// Turning a configuration into processes; see plan.hpp.
#include "up/plan.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace udn::up {
namespace {

using config::Role;

std::string endpoint_text(const net::IpAddress& address, std::uint16_t port) {
    return net::Endpoint{address, port}.to_string();
}

PlannedProcess plan_role(const config::Config& config, const config::Pop& pop, const config::Server& server, Role role,
                         const std::filesystem::path& server_state, const std::filesystem::path& log_dir,
                         const PlanInputs& inputs) {
    PlannedProcess process;
    process.role = std::string{config::to_string(role)};
    process.name = server.name + "/" + process.role;
    process.pop = pop.name;
    process.server = server.name;
    for (const auto& address : server.addresses) process.addresses.push_back(address.to_string());
    process.ports = role_ports(role, config.ports);
    if (const auto admin = role_admin_port(role, config.ports); admin != 0 && !server.addresses.empty()) {
        process.admin = endpoint_text(server.addresses.front(), admin);
    }
    process.state_dir = server_state;
    process.args = {process.role, "--config", role_config_path(server_state).string(), "--server", server.name,
                    "--state-dir", server_state.string()};
    if (!log_dir.empty()) process.log_path = log_dir / (server.name + "-" + process.role + ".log");
    process.available = !inputs.has_command || inputs.has_command(process.role);
    return process;
}

// Every process of one server's roles. A cache whose tiers run as two processes is two: the
// disk back (on ports.cache_backend, admin on ports.cache_backend_admin) and the memory front
// on the cache's usual ports, which asks the back.
void plan_server(const config::Config& config, const config::Pop& pop, const config::Server& server,
                 const std::filesystem::path& server_state, const std::filesystem::path& log_dir, const PlanInputs& inputs,
                 std::vector<PlannedProcess>& processes) {
    for (const auto role : server.roles) {
        auto process = plan_role(config, pop, server, role, server_state, log_dir, inputs);
        if (role == Role::cache && server.cache_tiers == config::CacheTiers::two_process) {
            auto back = process;
            back.name = server.name + "/cache-disk";
            back.ports = {{"backend", config.ports.cache_backend}};
            if (!server.addresses.empty()) back.admin = endpoint_text(server.addresses.front(), config.ports.cache_backend_admin);
            back.args.insert(back.args.end(), {"--tier", "disk"});
            if (!log_dir.empty()) back.log_path = log_dir / (server.name + "-cache-disk.log");
            processes.push_back(std::move(back));
            process.args.insert(process.args.end(), {"--tier", "memory"});
        }
        processes.push_back(std::move(process));
    }
}

}  // namespace

std::vector<std::pair<std::string, std::uint16_t>> role_ports(Role role, const config::Ports& ports) {
    switch (role) {
        case Role::dns: return {{"dns", ports.dns}, {"reports", ports.reports}};
        case Role::cache: return {{"http", ports.http}, {"https", ports.https}};
        case Role::probe: return {{"latency", ports.latency}};
        case Role::loadp: return {{"loadp", ports.loadp}};
        case Role::configd: return {{"configd", ports.configd}};
        case Role::logs: return {{"reports", ports.reports}};
        case Role::view: return {};
    }
    return {};
}

std::uint16_t role_admin_port(Role role, const config::Ports& ports) {
    switch (role) {
        case Role::dns: return ports.dns_admin;
        case Role::cache: return ports.cache_admin;
        case Role::probe: return ports.probe_admin;
        case Role::loadp: return ports.loadp_admin;
        case Role::configd: return ports.configd_admin;
        case Role::logs:
        case Role::view: return 0;
    }
    return 0;
}

std::filesystem::path server_state_dir(const std::filesystem::path& network_state_dir, std::string_view server) {
    return network_state_dir / "nodes" / std::string{server};
}

std::filesystem::path role_config_path(const std::filesystem::path& server_state) {
    return server_state / "configd" / "current.toml";
}

std::vector<PlannedProcess> plan_network(const config::Config& config, const PlanInputs& inputs) {
    std::vector<PlannedProcess> processes;
    const auto log_dir = inputs.state_dir / "logs";
    for (const auto& pop : config.pops) {
        for (const auto& server : pop.servers) {
            plan_server(config, pop, server, server_state_dir(inputs.state_dir, server.name), log_dir, inputs, processes);
        }
    }
    for (const auto& customer : config.customers) {
        for (const auto& origin : customer.origins) {
            PlannedProcess process;
            process.role = "origin";
            process.name = "origin/" + origin.name;
            process.customer = customer.name;
            process.origin = origin.name;
            process.addresses = {origin.address.to_string()};
            process.ports = {{"http", origin.port}};
            process.admin = endpoint_text(origin.address, origin.port);  // /metrics and /load on the site port
            process.args = {"origin", "--root", inputs.site_dir.string(), "--listen",
                            endpoint_text(origin.address, origin.port), "--name", origin.name};
            process.log_path = log_dir / ("origin-" + origin.name + ".log");
            process.available = !inputs.has_command || inputs.has_command("origin");
            processes.push_back(std::move(process));
        }
    }
    return processes;
}

std::vector<PlannedProcess> plan_node(const config::Config& config, std::string_view server_name, const PlanInputs& inputs) {
    for (const auto& pop : config.pops) {
        for (const auto& server : pop.servers) {
            if (server.name != server_name) continue;
            std::vector<PlannedProcess> processes;
            plan_server(config, pop, server, inputs.state_dir, {}, inputs, processes);
            return processes;
        }
    }
    std::string known;
    for (const auto& pop : config.pops) {
        for (const auto& server : pop.servers) known += (known.empty() ? "" : ", ") + server.name;
    }
    throw std::runtime_error(fmt::format("no server named '{}' in {} — the servers are: {}", server_name,
                                         config.source_path, known));
}

}  // namespace udn::up
