// Registers the `udn probe` (service + latency probes) and `udn loadp` (load agent) subcommands
// (see src/cli/registrars.hpp) and runs them until SIGTERM/SIGINT; SIGHUP reloads the config.
#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/registrars.hpp"
#include "common/config/reloadable.hpp"
#include "probe/role.hpp"

namespace udn::probe {
namespace {

struct CommonOptions {
    std::string config_path;
    std::string server;
    std::string state_dir;
    std::string log_format = "text";
};

void add_common(CLI::App& command, CommonOptions& options) {
    command.add_option("--config", options.config_path, "configuration file (TOML)")->required()->check(CLI::ExistingFile);
    command.add_option("--server", options.server, "this server's name in the configuration");
    command.add_option("--state-dir", options.state_dir, "state directory (default ./state/<server>)");
    command.add_option("--log-format", options.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
}

void write_pid_file(const CommonOptions& options, std::string_view role, const std::string& fallback_name) {
    const std::filesystem::path state =
        options.state_dir.empty() ? std::filesystem::path("state") / fallback_name : std::filesystem::path(options.state_dir);
    std::filesystem::create_directories(state / "run");
    std::ofstream(state / "run" / (std::string(role) + ".pid")) << ::getpid() << "\n";
}

// Blocks the stop/reload signals in every thread, then waits for them in this one.
template <class Role, class Options>
void run_role(const CommonOptions& common, const Options& options, std::string_view role_name) {
    if (common.log_format == "json") spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e","level":"%l","msg":"%v"})");
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    config::ReloadableConfig config(common.config_path);
    auto running = config.current();
    auto role = std::make_unique<Role>(running, options);
    write_pid_file(common, role_name, common.server.empty() ? std::string(role_name) : common.server);
    role->start();
    spdlog::info("udn {} started: {}", role_name, role->summary());
    for (;;) {
        int received = 0;
        sigwait(&signals, &received);
        if (received != SIGHUP) break;
        const auto outcome = config.reload();
        spdlog::info("udn {} reload: {}", role_name, outcome.message);
        if (!outcome.changed) continue;
        try {
            role->stop();
            role = std::make_unique<Role>(config.current(), options);
            role->start();
            running = config.current();
            spdlog::info("udn {} now runs configuration version {}: {}", role_name, running->version, role->summary());
        } catch (const std::exception& error) {
            // The old role is stopped and its sockets are gone: restart it on the old snapshot.
            spdlog::error("reload failed ({}); continuing with the previous configuration", error.what());
            role = std::make_unique<Role>(running, options);
            role->start();
        }
    }
    role->stop();
    spdlog::info("udn {} stopped", role_name);
}

}  // namespace

void register_commands(CommandTree tree) {
    static CommonOptions probe_common;
    static ProbeOptions probe_options;
    auto* probe = tree.root.add_subcommand("probe", "Service probes of origins and POP caches, and the POP's latency probe");
    add_common(*probe, probe_common);
    probe->add_option("--check-threads", probe_options.check_threads, "worker threads running checks")
        ->check(CLI::Range(1, 256));
    probe->add_option("--latency-threads", probe_options.latency_threads, "worker threads measuring client latency")
        ->check(CLI::Range(1, 256));
    probe->callback([] {
        if (probe_common.server.empty()) throw std::runtime_error("udn probe needs --server NAME");
        probe_options.server = probe_common.server;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        run_role<ProbeRole>(probe_common, probe_options, "probe");
        curl_global_cleanup();
    });

    static CommonOptions loadp_common;
    static LoadAgentOptions loadp_options;
    auto* loadp = tree.root.add_subcommand("loadp", "Load agent: answers the probes' authenticated load queries");
    add_common(*loadp, loadp_common);
    loadp->add_option("--bind", loadp_options.bind, "address to serve on when this machine is not a configured server");
    loadp->add_option("--override-file", loadp_options.override_file,
                      "file of 'cpu|memory|swap|disk = permille' lines replacing measurements (drain, tests)");
    loadp->add_option("--disk", loadp_options.disk_paths, "filesystems whose use is reported (default /)");
    loadp->callback([] {
        if (loadp_common.server.empty() == loadp_options.bind.empty()) {
            throw std::runtime_error("udn loadp needs exactly one of --server NAME or --bind ADDRESS");
        }
        loadp_options.server = loadp_common.server;
        run_role<LoadAgentRole>(loadp_common, loadp_options, "loadp");
    });
}

}  // namespace udn::probe
