// endpoints.json rendering; see endpoints.hpp.
#include "up/endpoints.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace udn::up {
namespace {

using json = nlohmann::ordered_json;

std::filesystem::path absolute_path(const std::filesystem::path& path) {
    std::error_code ignored;
    return path.empty() ? path : std::filesystem::absolute(path, ignored);
}

json process_json(const PlannedProcess& process, pid_t pid) {
    json entry;
    entry["name"] = process.name;
    entry["role"] = process.role;
    entry["pop"] = process.pop.empty() ? json(nullptr) : json(process.pop);
    entry["server"] = process.server.empty() ? json(nullptr) : json(process.server);
    if (!process.customer.empty()) entry["customer"] = process.customer;
    if (!process.origin.empty()) entry["origin"] = process.origin;
    entry["pid"] = pid > 0 ? json(pid) : json(nullptr);
    entry["state"] = !process.available ? "not built" : pid > 0 ? "running" : "restarting";
    entry["addresses"] = process.addresses;
    json ports = json::object();
    for (const auto& [name, port] : process.ports) ports[name] = port;
    entry["ports"] = ports;
    entry["admin"] = process.admin.empty() ? json(nullptr) : json(process.admin);
    entry["metrics"] = process.admin.empty() ? json(nullptr) : json("http://" + process.admin + "/metrics");
    entry["log"] = process.log_path.empty() ? json(nullptr) : json(absolute_path(process.log_path).string());
    if (!process.state_dir.empty()) entry["state_dir"] = absolute_path(process.state_dir).string();
    return entry;
}

}  // namespace

std::string render_endpoints_json(const EndpointsInputs& inputs) {
    const auto& config = *inputs.config;
    json root;
    root["network"] = config.network.name;
    root["config"] = absolute_path(inputs.config_path).string();
    root["config_version"] = config.version;
    root["state_dir"] = absolute_path(inputs.state_dir).string();
    root["admin_key"] = inputs.admin_key_path.empty() ? json(nullptr) : json(absolute_path(inputs.admin_key_path).string());
    root["domain"] = config.network.domain;
    root["cdn_zone"] = config.network.cdn_zone;
    json dns = json::array();
    json caches = json::array();
    json processes = json::array();
    for (std::size_t i = 0; i < inputs.processes->size(); ++i) {
        const auto& process = (*inputs.processes)[i];
        const pid_t pid = i < inputs.pids.size() ? inputs.pids[i] : 0;
        processes.push_back(process_json(process, pid));
        for (const auto& address : process.addresses) {
            for (const auto& [name, port] : process.ports) {
                const auto where = net::Endpoint{*net::IpAddress::parse(address), port}.to_string();
                if (process.role == "dns" && name == "dns") dns.push_back(where);
                if (process.role == "cache" && name == "http") caches.push_back(where);
            }
        }
    }
    root["dns_servers"] = dns;
    root["caches"] = caches;
    root["processes"] = processes;
    json domains = json::array();
    for (const auto& customer : config.customers) {
        for (const auto& domain : customer.domains) {
            json entry;
            entry["name"] = domain.name;
            entry["kind"] = domain.kind == config::DomainKind::static_name ? "static" : "dynamic";
            entry["customer"] = customer.name;
            entry["origins"] = domain.origins;
            domains.push_back(entry);
        }
    }
    root["domains"] = domains;
    return root.dump(2) + "\n";
}

std::filesystem::path write_endpoints_json(const EndpointsInputs& inputs) {
    const auto path = inputs.state_dir / "endpoints.json";
    const auto temporary = inputs.state_dir / "endpoints.json.tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << render_endpoints_json(inputs);
        if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
    }
    std::filesystem::rename(temporary, path);
    return path;
}

}  // namespace udn::up
