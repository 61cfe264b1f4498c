// Registers the `udn probe` (service + latency probes) and `udn loadp` (load agent) subcommands
// (see src/cli/registrars.hpp) and runs them on the shared runtime: logging, pid file,
// SIGTERM/SIGINT clean stop, SIGHUP reload, GET /metrics and /healthz on the role's admin port
// (ports.probe_admin / ports.loadp_admin on the server's first address, or on --bind).
#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <mutex>

#include "cli/registrars.hpp"
#include "common/config/reloadable.hpp"
#include "common/runtime/http_server.hpp"
#include "common/runtime/metrics.hpp"
#include "common/runtime/role_options.hpp"
#include "common/runtime/signals.hpp"
#include "probe/role.hpp"

namespace udn::probe {
namespace {

// The running role, replaced on reload; /metrics reads its counters under the lock.
template <class Role>
struct Current {
    std::mutex mutex;
    std::unique_ptr<Role> role;

    double read(const std::function<double(const Role&)>& field) {
        std::lock_guard lock(mutex);
        return role ? field(*role) : 0.0;
    }
};

template <class Role>
using MetricsSetup = std::function<void(runtime::Registry&, Current<Role>&)>;

// Runs `Role` until SIGTERM/SIGINT; SIGHUP re-reads the file and rebuilds the role from it
// (a bad file or a failing rebuild keeps the previous configuration running).
template <class Role, class Options>
void run_role(const runtime::RoleOptions& common, const Options& options, std::string_view role_name,
              const std::function<std::string(const config::Config&)>& admin_address,
              std::uint16_t config::Ports::*admin_port, const MetricsSetup<Role>& setup_metrics) {
    runtime::SignalWatcher signals;  // first: every thread started below inherits the blocked signals
    runtime::setup_logging(common.log_options(std::string(role_name)));
    config::ReloadableConfig config(common.config_path);
    auto running = config.current();
    runtime::PidFile pid_file(common.effective_state_dir(), role_name);
    runtime::Registry registry;
    Current<Role> current;
    current.role = std::make_unique<Role>(running, options);
    setup_metrics(registry, current);
    runtime::HttpServerOptions admin_options;
    admin_options.address = admin_address(*running);
    admin_options.port = (*running).ports.*admin_port;
    admin_options.name = std::string(role_name) + "_admin";
    runtime::HttpServer admin(admin_options, registry);
    admin.start();
    current.role->start();
    spdlog::info("udn {} started: {}; admin on {}:{}", role_name, current.role->summary(), admin_options.address,
                 admin.port());
    for (;;) {
        const auto event = signals.wait(std::chrono::seconds(60));
        if (!event) {
            std::lock_guard lock(current.mutex);
            spdlog::info("udn {}: {}", role_name, current.role->status());
            continue;
        }
        if (*event == runtime::SignalEvent::stop) break;
        const auto outcome = config.reload();
        spdlog::info("udn {} reload: {}", role_name, outcome.message);
        if (!outcome.changed) continue;
        std::lock_guard lock(current.mutex);
        // The old role stops first (its sockets must be free for the new one), then hands what
        // still holds to its replacement.
        const auto replace = [&](std::shared_ptr<const config::Config> snapshot) {
            auto next = std::make_unique<Role>(std::move(snapshot), options);
            if constexpr (requires(Role& role) { role.take_state_from(role); }) next->take_state_from(*current.role);
            current.role = std::move(next);
            current.role->start();
        };
        current.role->stop();
        try {
            replace(config.current());
            running = config.current();
            spdlog::info("udn {} now runs configuration version {}: {}", role_name, running->version,
                         current.role->summary());
        } catch (const std::exception& error) {
            // The old role is stopped and its sockets are gone: bring it back on the old snapshot.
            spdlog::error("udn {} could not apply the new configuration ({}); keeping version {}", role_name,
                          error.what(), running->version);
            replace(running);
        }
    }
    {
        std::lock_guard lock(current.mutex);
        current.role->stop();
    }
    admin.stop();
    spdlog::info("udn {} stopped", role_name);
}

std::string first_address(const config::Config& config, const std::string& server_name) {
    const auto* server = config.find_server(server_name);
    if (!server || server->addresses.empty()) {
        throw std::runtime_error("--server " + server_name + ": no such server with an address in pops[].servers");
    }
    return server->addresses.front().to_string();
}

void probe_metrics(runtime::Registry& registry, Current<ProbeRole>& current) {
    const auto add = [&](const char* name, const char* help, std::function<double(const ProbeStats&)> field,
                         runtime::Labels labels = {}) {
        registry.gauge_callback(name, help, labels, [&current, field] {
            return current.read([&](const ProbeRole& role) { return field(role.stats()); });
        });
    };
    add("udn_probe_checks_total", "Service checks run since the last (re)start",
        [](const ProbeStats& s) { return static_cast<double>(s.checks_run); });
    add("udn_probe_checks_timed_out_total", "Service checks that hit their timeout_ms since the last (re)start",
        [](const ProbeStats& s) { return static_cast<double>(s.checks_timed_out); });
    add("udn_probe_checks_in_flight", "Service checks running now",
        [](const ProbeStats& s) { return static_cast<double>(s.checks_in_flight); });
    add("udn_probe_services", "Services being checked", [](const ProbeStats& s) { return static_cast<double>(s.services); });
    add("udn_probe_services_down", "Services currently down",
        [](const ProbeStats& s) { return static_cast<double>(s.services_down); });
    add("udn_probe_report_datagrams_sent_total", "Report datagrams sent (one per receiver)",
        [](const ProbeStats& s) { return static_cast<double>(s.reports_sent); });
    add("udn_probe_report_send_failures_total", "Report datagrams that could not be sent",
        [](const ProbeStats& s) { return static_cast<double>(s.report_send_failures); });
    add("udn_probe_load_answers_total", "Load agent answers accepted",
        [](const ProbeStats& s) { return static_cast<double>(s.load_answers); });
    add("udn_probe_latency_requests_total", "Latency requests accepted",
        [](const ProbeStats& s) { return static_cast<double>(s.latency_requests); });
    add("udn_probe_latency_dropped_total", "Latency datagrams dropped (forged, stale, replayed, malformed)",
        [](const ProbeStats& s) { return static_cast<double>(s.latency_dropped); });
    add("udn_probe_latency_clients", "Client resolvers in the latency table",
        [](const ProbeStats& s) { return static_cast<double>(s.latency_clients); });
    add("udn_probe_latency_in_flight", "Clients being measured now (at most --latency-max-in-flight)",
        [](const ProbeStats& s) { return static_cast<double>(s.latency_in_flight); });
    add("udn_probe_latency_waiting", "Clients waiting for a measurement slot",
        [](const ProbeStats& s) { return static_cast<double>(s.latency_waiting); });
    for (const auto method : {report::LatencyMethod::dns_query, report::LatencyMethod::tcp_connect,
                              report::LatencyMethod::icmp_echo}) {
        const runtime::Labels labels{{"method", std::string(latency_method_name(method))}};
        const auto find = [method](const ProbeStats& s) {
            for (const auto& m : s.methods) {
                if (m.method == method) return m;
            }
            return latency::MethodStats{};
        };
        add("udn_probe_latency_attempts_total", "Latency probes sent, per method (probe.latency_attempts per measurement)",
            [find](const ProbeStats& s) { return static_cast<double>(find(s).attempts); }, labels);
        add("udn_probe_latency_answers_total", "Latency probes answered, per method (sent minus answered is the loss seen)",
            [find](const ProbeStats& s) { return static_cast<double>(find(s).successes); }, labels);
        add("udn_probe_latency_cost_seconds_total", "Time spent measuring, per method (timeouts included)",
            [find](const ProbeStats& s) { return static_cast<double>(find(s).cost_us) / 1e6; }, labels);
        add("udn_probe_latency_receive_drops_total",
            "Replies the kernel dropped on the method's socket before the probe read them (counted as loss)",
            [find](const ProbeStats& s) { return static_cast<double>(find(s).receive_drops); }, labels);
    }
}

void loadp_metrics(runtime::Registry& registry, Current<LoadAgentRole>& current) {
    registry.gauge_callback("udn_loadp_answers_total", "Load queries answered", {}, [&current] {
        return current.read([](const LoadAgentRole& role) { return static_cast<double>(role.answered()); });
    });
    registry.gauge_callback("udn_loadp_dropped_total", "Datagrams dropped (forged, stale, replayed, not a query)", {},
                            [&current] {
                                return current.read(
                                    [](const LoadAgentRole& role) { return static_cast<double>(role.dropped()); });
                            });
}

}  // namespace

void register_commands(CommandTree tree) {
    static runtime::RoleOptions probe_common;
    static ProbeOptions probe_options;
    auto* probe = tree.root.add_subcommand("probe", "Service probes of origins and POP caches, and the POP's latency probe");
    runtime::add_role_options(*probe, probe_common);
    probe->add_option("--max-checks-in-flight", probe_options.max_checks_in_flight,
                      "Service checks running at once, each holding one socket (default 1000)")
        ->check(CLI::Range(1, 100000));
    // Kept so that old command lines still start; one event-driven thread measures now.
    static std::size_t deprecated_latency_threads = 0;
    auto* latency_threads = probe->add_option("--latency-threads", deprecated_latency_threads,
                                              "Deprecated and ignored: latency is measured on one event-driven thread "
                                              "(see --latency-max-in-flight)");
    probe->add_option("--latency-max-in-flight", probe_options.latency_max_in_flight,
                      "Clients whose latency is measured at once (default 4096); more wait their turn")
        ->check(CLI::Range(1, 1000000));
    probe->add_option("--latency-max-connects", probe_options.latency_max_connects,
                      "Sockets the tcp_connect latency method may hold open at once, one per probe (default 1024)")
        ->check(CLI::Range(1, 1000000));
    probe->add_option("--latency-timeout-ms", probe_options.latency_timeout_ms,
                      "How long a latency probe waits for its answer; a method (dns_query, tcp_connect, icmp_echo) "
                      "none of whose probes answered makes way for the next")
        ->check(CLI::Range(10, 10000));
    probe->add_option("--latency-spacing-ms", probe_options.latency_spacing_ms,
                      "Time between the probes of one latency measurement (probe.latency_attempts of them)")
        ->check(CLI::Range(0, 1000));
    probe->callback([latency_threads] {
        if (latency_threads->count() > 0) {
            spdlog::warn("--latency-threads is deprecated and ignored: latency is measured on one event-driven "
                         "thread; --latency-max-in-flight bounds the clients measured at once");
        }
        probe_options.server = probe_common.server;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        run_role<ProbeRole>(
            probe_common, probe_options, "probe",
            [](const config::Config& config) { return first_address(config, probe_common.server); },
            &config::Ports::probe_admin, probe_metrics);
        curl_global_cleanup();
    });

    static runtime::RoleOptions loadp_common;
    static LoadAgentOptions loadp_options;
    auto* loadp = tree.root.add_subcommand("loadp", "Load agent: answers the probes' authenticated load queries");
    runtime::add_role_options(*loadp, loadp_common);
    loadp->get_option("--server")->required(false);
    loadp->add_option("--bind", loadp_options.bind,
                      "Address to serve on when this machine is not a configured server (a customer's origin)");
    loadp->add_option("--override-file", loadp_options.override_file,
                      "File of 'cpu|memory|swap|disk = permille' lines replacing measurements (drain, tests)");
    loadp->add_option("--disk", loadp_options.disk_paths, "Filesystems whose use is reported (default /)");
    loadp->callback([] {
        if (loadp_common.server.empty() == loadp_options.bind.empty()) {
            throw std::runtime_error("udn loadp needs exactly one of --server NAME or --bind ADDRESS");
        }
        if (loadp_common.server.empty() && loadp_common.state_dir.empty()) {
            loadp_common.state_dir = std::filesystem::path("state") / loadp_options.bind;
        }
        loadp_options.server = loadp_common.server;
        run_role<LoadAgentRole>(
            loadp_common, loadp_options, "loadp",
            [](const config::Config& config) {
                return loadp_options.bind.empty() ? first_address(config, loadp_common.server) : loadp_options.bind;
            },
            &config::Ports::loadp_admin, loadp_metrics);
    });
}

}  // namespace udn::probe
