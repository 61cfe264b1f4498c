// The newcomer's summary printed by `udn up`; see intro.hpp.
#include "up/intro.hpp"

#include <fmt/format.h>

namespace udn::up {
namespace {

const PlannedProcess* first_with_role(const std::vector<PlannedProcess>& processes, std::string_view role) {
    for (const auto& process : processes) {
        if (process.role == role && !process.addresses.empty()) return &process;
    }
    return nullptr;
}

std::uint16_t port_named(const PlannedProcess& process, std::string_view name) {
    for (const auto& [port_name, port] : process.ports) {
        if (port_name == name) return port;
    }
    return 0;
}

std::string host_of(const std::string& address) { return address.find(':') != std::string::npos ? "[" + address + "]" : address; }

}  // namespace

std::string render_intro(const config::Config& config, const std::vector<PlannedProcess>& processes,
                         const std::filesystem::path& state_dir, const std::filesystem::path& config_file) {
    std::string out = fmt::format("\nudn up: network '{}' from {}\n", config.network.name, config_file.string());
    out += fmt::format("  endpoints.json  {}\n", (state_dir / "endpoints.json").string());
    out += fmt::format("  logs            {}/<server>-<role>.log, {}/origin-<name>.log\n", (state_dir / "logs").string(),
                       (state_dir / "logs").string());
    out += "  DNS servers    ";
    for (const auto& process : processes) {
        if (process.role == "dns" && !process.addresses.empty()) {
            out += fmt::format(" {}:{} ({}{})", process.addresses.front(), config.ports.dns, process.server,
                               process.available ? "" : ", not built yet");
        }
    }
    out += "\n  origins        ";
    for (const auto& process : processes) {
        if (process.role == "origin") out += fmt::format(" {} ({})", process.admin, process.origin);
    }
    out += "\n\n  try:\n";
    const auto dig_port = config.ports.dns == 53 ? std::string{} : fmt::format(" -p {}", config.ports.dns);
    const config::Domain* dynamic_name = nullptr;
    const config::Domain* static_name = nullptr;
    std::string path_form_host;
    for (const auto& customer : config.customers) {
        for (const auto& domain : customer.domains) {
            if (domain.kind == config::DomainKind::dynamic_name && dynamic_name == nullptr) dynamic_name = &domain;
            if (domain.kind == config::DomainKind::static_name && static_name == nullptr) {
                static_name = &domain;
                for (const auto& other : customer.domains) {
                    if (domain.path_form && other.kind == config::DomainKind::dynamic_name && path_form_host.empty()) {
                        path_form_host = other.name;
                    }
                }
            }
        }
    }
    if (const auto* dns = first_with_role(processes, "dns")) {
        if (dynamic_name) out += fmt::format("    dig @{}{} {}\n", dns->addresses.front(), dig_port, dynamic_name->name);
        if (static_name) out += fmt::format("    dig @{}{} {}\n", dns->addresses.front(), dig_port, static_name->name);
    }
    if (const auto* cache = first_with_role(processes, "cache"); cache && static_name) {
        const auto path = path_form_host.empty() ? std::string{"/"} : "/" + path_form_host + "/images/logo.svg";
        out += fmt::format("    curl -i -H 'Host: {}' http://{}:{}{}\n", static_name->name, host_of(cache->addresses.front()),
                           port_named(*cache, "http"), path);
    }
    if (const auto* origin = first_with_role(processes, "origin")) {
        out += fmt::format("    curl -i http://{}/            (an origin directly; also /load and /metrics)\n", origin->admin);
    }
    if (const auto* dns = first_with_role(processes, "dns"); dns && !dns->admin.empty()) {
        out += fmt::format("    curl http://{}/metrics\n", dns->admin);
    }
    out += fmt::format("    udn admin status --state-dir {}\n", state_dir.string());
    out += "  Ctrl-C (or SIGTERM) stops every process.\n\n";
    return out;
}

}  // namespace udn::up
