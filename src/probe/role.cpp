#include "probe/role.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <stdexcept>

#include "probe/latency/latency_probe.hpp"
#include "probe/loadp/agent.hpp"
#include "probe/loadp/poller.hpp"
#include "probe/reporter.hpp"
#include "probe/service/prober.hpp"

namespace udn::probe {
namespace {

report::Key key_of(const config::Config& config) {
    auto key = report::Key::from_hex(config.network.report_key);
    if (!key) {
        throw std::runtime_error("network.report_key must be at least 32 bytes of hex — make one with "
                                 "`head -c 32 /dev/urandom | xxd -p -c 64`");
    }
    return *key;
}

const config::Server& server_of(const config::Config& config, const std::string& name) {
    const auto* server = config.find_server(name);
    if (!server) throw std::runtime_error("--server " + name + ": no such server in pops[].servers");
    if (server->addresses.empty()) throw std::runtime_error("server " + name + " has no addresses");
    return *server;
}

// Every service check in flight and every latency tcp_connect attempt holds a socket: raise the
// soft open-files limit to fit them (Debian's default soft limit is 1024), or run fewer at once,
// in the same proportion, when the hard limit does not allow it.
struct SocketBudget {
    std::size_t checks_in_flight = 0;
    std::size_t latency_connects = 0;
};

SocketBudget sockets_within_fd_limit(const ProbeOptions& options) {
    constexpr rlim_t reserve_fds = 256;  // listeners, report sockets, load and latency probes, logs
    const SocketBudget wanted{options.max_checks_in_flight, options.latency_max_connects};
    const auto total = wanted.checks_in_flight + wanted.latency_connects;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
    const rlim_t needed = total + reserve_fds;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return wanted;
    const auto fitting = static_cast<std::size_t>(limit.rlim_cur > 2 * reserve_fds ? limit.rlim_cur - reserve_fds : reserve_fds);
    const SocketBudget scaled{std::max<std::size_t>(1, wanted.checks_in_flight * fitting / total),
                              std::max<std::size_t>(1, wanted.latency_connects * fitting / total)};
    spdlog::warn("--max-checks-in-flight {} and --latency-max-connects {} do not fit the open-files limit {} "
                 "(ulimit -n): running at most {} checks and {} latency connects at once",
                 wanted.checks_in_flight, wanted.latency_connects, limit.rlim_cur, scaled.checks_in_flight,
                 scaled.latency_connects);
    return scaled;
}

}  // namespace

struct ProbeRole::Parts {
    std::shared_ptr<const config::Config> config;
    std::unique_ptr<Reporter> reporter;
    std::unique_ptr<loadp::LoadPoller> loads;
    std::unique_ptr<service::Prober> prober;
    std::unique_ptr<latency::LatencyProbe> latency;
};

ProbeRole::ProbeRole(std::shared_ptr<const config::Config> config, const ProbeOptions& options)
    : parts_(std::make_unique<Parts>()) {
    const auto& server = server_of(*config, options.server);
    const auto key = key_of(*config);
    auto targets = service::targets_from_config(*config);
    std::vector<udn::net::Endpoint> agents;
    for (const auto& target : targets) agents.push_back(target.load_agent);
    const auto sockets = sockets_within_fd_limit(options);
    parts_->config = config;
    parts_->reporter = std::make_unique<Reporter>(key, server.name, report_destinations(*config));
    parts_->loads = std::make_unique<loadp::LoadPoller>(
        key, loadp::LoadPoller::Settings{server.name, config->probe.report_max_age_ms, std::chrono::milliseconds(1000)},
        std::move(agents));
    parts_->prober = std::make_unique<service::Prober>(
        std::move(targets), *parts_->reporter, parts_->loads.get(),
        service::Prober::Settings{sockets.checks_in_flight, {}});
    latency::LatencyProbe::Settings latency_settings;
    latency_settings.bind = {server.addresses.front(), config->ports.latency};
    latency_settings.sender = server.name;
    latency_settings.pop = server.pop;
    latency_settings.max_age_ms = config->probe.report_max_age_ms;
    latency_settings.staleness_ms = std::uint64_t{config->probe.latency_staleness_s} * 1000;
    latency_settings.batch_max = config->probe.latency_batch_max;
    latency_settings.plan = latency::Plan{config->probe.latency_attempts,
                                          std::chrono::milliseconds(options.latency_spacing_ms),
                                          std::chrono::milliseconds(options.latency_timeout_ms)};
    latency_settings.limits.max_in_flight = options.latency_max_in_flight;
    parts_->latency = std::make_unique<latency::LatencyProbe>(
        key, latency_settings, [connects = sockets.latency_connects](net::Reactor& reactor) {
            return latency::default_methods(reactor, connects);
        });
}

ProbeRole::~ProbeRole() { stop(); }

void ProbeRole::take_state_from(const ProbeRole& previous) { parts_->prober->adopt_state(*previous.parts_->prober); }

void ProbeRole::start() {
    parts_->loads->start();
    parts_->prober->start();
    parts_->latency->start();
}

void ProbeRole::stop() {
    if (!parts_) return;
    parts_->latency->stop();
    parts_->prober->stop();
    parts_->loads->stop();
}

std::string ProbeRole::summary() const {
    return fmt::format("{} service checks, reports to {} receivers; latency probe of POP {} on {}",
                       parts_->prober->target_count(), parts_->reporter->destinations().size(),
                       parts_->config->find_server(parts_->reporter->sender())->pop,
                       parts_->latency->local_endpoint().to_string());
}

ProbeStats ProbeRole::stats() const {
    ProbeStats stats;
    stats.checks_run = parts_->prober->checks_run();
    stats.checks_timed_out = parts_->prober->checks_timed_out();
    stats.checks_in_flight = parts_->prober->checks_in_flight();
    stats.services = parts_->prober->target_count();
    stats.services_down = parts_->prober->down_count();
    stats.reports_sent = parts_->reporter->datagrams_sent();
    stats.report_send_failures = parts_->reporter->send_failures();
    stats.load_answers = parts_->loads->answers_accepted();
    stats.latency_requests = parts_->latency->requests_accepted();
    stats.latency_dropped = parts_->latency->datagrams_dropped();
    stats.latency_clients = parts_->latency->table_size();
    stats.latency_in_flight = parts_->latency->measurer().in_flight();
    stats.latency_waiting = parts_->latency->measurer().waiting();
    stats.methods = parts_->latency->measurer().stats();
    return stats;
}

std::string ProbeRole::status() const {
    const auto s = stats();
    return fmt::format("{} checks run ({} timed out, {} in flight), {} of {} services down, {} report datagrams sent ({} failed), {} load answers; "
                       "latency: {} requests, {} clients ({} being measured, {} waiting); {}",
                       s.checks_run, s.checks_timed_out, s.checks_in_flight, s.services_down, s.services, s.reports_sent, s.report_send_failures,
                       s.load_answers, s.latency_requests, s.latency_clients, s.latency_in_flight, s.latency_waiting, parts_->latency->measurer().stats_text());
}

struct LoadAgentRole::Parts {
    std::unique_ptr<loadp::Agent> agent;
};

LoadAgentRole::LoadAgentRole(std::shared_ptr<const config::Config> config, const LoadAgentOptions& options)
    : parts_(std::make_unique<Parts>()) {
    loadp::Agent::Settings settings;
    if (!options.bind.empty()) {
        const auto address = udn::net::IpAddress::parse(options.bind);
        if (!address) throw std::runtime_error("--bind " + options.bind + ": not an IP address");
        settings.bind = {*address, config->ports.loadp};
        settings.sender = options.bind;
    } else {
        const auto& server = server_of(*config, options.server);
        settings.bind = {server.addresses.front(), config->ports.loadp};
        settings.sender = server.name;
    }
    settings.max_age_ms = config->probe.report_max_age_ms;
    std::vector<std::filesystem::path> disks(options.disk_paths.begin(), options.disk_paths.end());
    if (disks.empty()) disks.push_back("/");
    std::optional<std::filesystem::path> override_file;
    if (!options.override_file.empty()) override_file = options.override_file;
    parts_->agent = std::make_unique<loadp::Agent>(key_of(*config), settings,
                                                   loadp::Sampler(std::move(disks), std::move(override_file)));
}

LoadAgentRole::~LoadAgentRole() { stop(); }

void LoadAgentRole::start() { parts_->agent->start(); }

void LoadAgentRole::stop() {
    if (parts_) parts_->agent->stop();
}

std::string LoadAgentRole::summary() const {
    return "load agent on " + parts_->agent->local_endpoint().to_string();
}

}  // namespace udn::probe

namespace udn::probe {

std::uint64_t LoadAgentRole::answered() const { return parts_->agent->answered(); }
std::uint64_t LoadAgentRole::dropped() const { return parts_->agent->dropped(); }
std::string LoadAgentRole::status() const {
    return fmt::format("{} load queries answered, {} datagrams dropped", answered(), dropped());
}

}  // namespace udn::probe
