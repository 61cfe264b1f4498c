#include "dns/server/dns_role.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/config/reloadable.hpp"
#include "dns/server/counting_sink.hpp"
#include "dns/server/probe_link.hpp"
#include "dns/server/tcp_server.hpp"
#include "dns/server/udp_worker.hpp"

namespace udn::dns::server {
namespace {

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

std::shared_ptr<const ServingState> build_serving(std::shared_ptr<const config::Config> config,
                                                  const std::string& server_name, std::uint64_t generation,
                                                  std::vector<std::string>& errors) {
    const auto* server = config->find_server(server_name);
    if (server == nullptr) {
        errors.push_back(fmt::format("--server {}: no such server in {} — use one of pops[].servers[].name",
                                     server_name, config->source_path));
        return nullptr;
    }
    if (!server->has_role(config::Role::dns)) {
        errors.push_back(fmt::format("server {} (line {}) does not have the dns role — add \"dns\" to its roles",
                                     server_name, server->line));
        return nullptr;
    }
    return ServingState::build(std::move(config), generation, errors);
}

class PidFile {
public:
    explicit PidFile(std::filesystem::path path) : path_(std::move(path)) {
        std::filesystem::create_directories(path_.parent_path());
        std::ofstream(path_) << ::getpid() << "\n";
    }
    ~PidFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }

private:
    std::filesystem::path path_;
};

}  // namespace

int run_dns_role(const RoleSettings& settings) {
    sigset_t signals;
    sigemptyset(&signals);
    for (const int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // threads started below inherit the mask

    config::ReloadableConfig config(settings.config_path);
    std::vector<std::string> errors;
    std::uint64_t generation = 1;
    auto serving = build_serving(config.current(), settings.server, generation, errors);
    if (!serving) throw std::runtime_error(join(errors));
    const auto& initial = *serving->config;
    const auto* server = initial.find_server(settings.server);

    SharedStateSettings shared_settings;
    shared_settings.latency_pops = std::max<std::size_t>(initial.pops.size(), 1);
    SharedState shared(serving, shared_settings);
    CountingSink sink(settings.udp_workers + 1);
    sink.rebuild(serving);

    std::vector<net::Endpoint> endpoints;
    for (const auto& address : server->addresses) endpoints.push_back({address, initial.ports.dns});
    std::vector<std::unique_ptr<UdpWorker>> workers;
    for (std::size_t i = 0; i < settings.udp_workers; ++i) {
        workers.push_back(std::make_unique<UdpWorker>(i, shared, endpoints, sink));
    }
    TcpServer tcp(settings.udp_workers, shared, endpoints, sink);
    ProbeLink probes(shared, settings.server);
    for (auto& worker : workers) worker->start();
    tcp.start();
    probes.start();
    const auto state_dir = settings.state_dir.empty() ? std::filesystem::path("state") / settings.server : settings.state_dir;
    PidFile pid_file(state_dir / "run" / "dns.pid");
    for (const auto& endpoint : endpoints) spdlog::info("dns: serving {} (udp, tcp)", endpoint.to_string());

    while (true) {
        timespec timeout{1, 0};
        const int signal = sigtimedwait(&signals, nullptr, &timeout);
        if (signal == SIGTERM || signal == SIGINT) break;
        if (signal != SIGHUP) continue;
        const auto outcome = config.reload();
        spdlog::info("dns: reload: {}", outcome.message);
        if (!outcome.changed) continue;
        std::vector<std::string> reload_errors;
        auto next = build_serving(config.current(), settings.server, ++generation, reload_errors);
        if (!next) {
            spdlog::error("dns: new configuration not served, keeping the running one:\n{}", join(reload_errors));
            continue;
        }
        sink.rebuild(next);
        shared.serving.replace(std::move(next));
        spdlog::info("dns: now serving configuration version {}", config.current()->version);
    }
    spdlog::info("dns: stopping");
    probes.stop();
    tcp.stop();
    for (auto& worker : workers) worker->stop();
    return 0;
}

}  // namespace udn::dns::server
