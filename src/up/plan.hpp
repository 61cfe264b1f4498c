// What `udn up` and `udn node` run, derived from a configuration: one process per role of each
// server (and, for `up`, one demo origin per customer origin), with the addresses and ports
// each will use. Pure data, so it is unit-tested without starting anything.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/config.hpp"

namespace udn::up {

struct PlannedProcess {
    std::string name;      // "eu-ns1/dns", "origin/acme-mirror-1"
    std::string role;      // "dns", ..., "origin"
    std::string pop;       // empty for origins
    std::string server;    // empty for origins
    std::string customer;  // origins only
    std::string origin;    // origins only
    std::vector<std::string> addresses;
    std::vector<std::pair<std::string, std::uint16_t>> ports;  // named, e.g. {"dns", 53}
    std::string admin;     // "address:port" of /metrics and /healthz, empty if none
    std::vector<std::string> args;  // command line after the executable
    std::filesystem::path log_path;
    std::filesystem::path state_dir;
    bool available = true;  // false: this build of udn has no such subcommand yet
};

struct PlanInputs {
    std::filesystem::path state_dir;  // `up`: the network's; `node`: the node's
    std::filesystem::path site_dir;   // `up`: the demo origins' site
    std::function<bool(std::string_view command)> has_command;
};

// Named ports a role listens on, and its admin port (0 if it has none).
std::vector<std::pair<std::string, std::uint16_t>> role_ports(config::Role role, const config::Ports& ports);
std::uint16_t role_admin_port(config::Role role, const config::Ports& ports);

// Where `up` keeps a server's state and the config its roles read.
std::filesystem::path server_state_dir(const std::filesystem::path& network_state_dir, std::string_view server);
std::filesystem::path role_config_path(const std::filesystem::path& server_state);  // <server_state>/configd/current.toml

// Every role of every server plus every origin (`udn up`).
std::vector<PlannedProcess> plan_network(const config::Config& config, const PlanInputs& inputs);
// Every role of one server (`udn node`); throws std::runtime_error if the server is unknown.
std::vector<PlannedProcess> plan_node(const config::Config& config, std::string_view server, const PlanInputs& inputs);

}  // namespace udn::up
