// `udn up` (a whole network on this machine) and `udn node` (every role of one server), both
// built on the same Supervisor.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <map>

#include "cli/registrars.hpp"
#include "common/config/loader.hpp"
#include "common/runtime/signals.hpp"
#include "up/endpoints.hpp"
#include "up/intro.hpp"
#include "up/plan.hpp"
#include "up/seed.hpp"
#include "up/share.hpp"
#include "up/supervisor.hpp"

namespace udn::up {
namespace {

namespace fs = std::filesystem;

struct UpOptions {
    std::string config_file;
    std::string state_dir;
    std::string site_dir;
    std::string admin_key;
};

struct NodeOptions {
    std::string config_file;
    std::string node;
    std::string state_dir;
};

void print_status(std::string_view command, const std::string& line) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    std::printf("%s %02d:%02d:%02d %s\n", std::string{command}.c_str(), local.tm_hour, local.tm_min, local.tm_sec,
                line.c_str());
    std::fflush(stdout);
}

bool has_command(const CLI::App* root, std::string_view name) {
    for (const auto* sub : root->get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->check_name(std::string{name})) return true;
    }
    return false;
}

std::vector<std::string> command_line(const fs::path& executable, const PlannedProcess& process) {
    std::vector<std::string> argv{executable.string()};
    argv.insert(argv.end(), process.args.begin(), process.args.end());
    return argv;
}

// Adds every available process to the supervisor; each role this build lacks gets one clear note.
std::vector<std::size_t> supervise(Supervisor& supervisor, const std::vector<PlannedProcess>& processes,
                                   std::string_view command) {
    const auto executable = fs::read_symlink("/proc/self/exe");
    std::vector<std::size_t> slots(processes.size(), SIZE_MAX);
    std::map<std::string, std::string> missing;  // role -> the processes not started
    for (std::size_t i = 0; i < processes.size(); ++i) {
        const auto& process = processes[i];
        if (!process.available) {
            auto& names = missing[process.role];
            names += (names.empty() ? "" : ", ") + process.name;
            continue;
        }
        slots[i] = supervisor.add({process.name, command_line(executable, process), process.log_path});
    }
    for (const auto& [role, names] : missing) {
        print_status(command, fmt::format("note: this udn has no '{}' command yet; not started until that role "
                                          "is built in: {}",
                                          role, names));
    }
    return slots;
}

std::vector<pid_t> pids_of(const Supervisor& supervisor, const std::vector<std::size_t>& slots) {
    const auto status = supervisor.status();
    std::vector<pid_t> pids;
    for (const auto slot : slots) pids.push_back(slot == SIZE_MAX ? 0 : status[slot].pid);
    return pids;
}

int run_up(const UpOptions& options, const CLI::App* root) {
    runtime::SignalWatcher signals;  // first: children and threads must not see the signals unblocked
    const auto examples = find_examples_dir();
    fs::path config_file = options.config_file;
    if (config_file.empty()) {
        if (!examples) {
            throw std::runtime_error("no FILE given and examples/demo.toml not found — pass a config file, or set "
                                     "UDN_EXAMPLES_DIR to the directory holding demo.toml");
        }
        config_file = *examples / "demo.toml";
    }
    const auto config = config::load_file_or_throw(config_file);
    const fs::path state_dir = options.state_dir.empty() ? fs::path("state") / config->network.name : fs::path(options.state_dir);
    fs::path site_dir = options.site_dir;
    if (site_dir.empty()) {
        if (!examples) throw std::runtime_error("examples/site not found — pass --site DIR for the demo origins");
        site_dir = *examples / "site";
    }
    fs::path admin_key = options.admin_key;
    if (admin_key.empty() && examples && fs::exists(*examples / "demo-admin.key")) {
        for (const auto& key : config->admin_keys) {
            if (key.name == "demo-admin") admin_key = *examples / "demo-admin.key";
        }
    }
    fs::create_directories(state_dir / "logs");
    for (const auto& pop : config->pops) {
        for (const auto& server : pop.servers) {
            seed_role_config(config_file, role_config_path(server_state_dir(state_dir, server.name)), SeedMode::replace);
        }
    }
    const PlanInputs inputs{state_dir, fs::absolute(site_dir), [root](std::string_view name) { return has_command(root, name); }};
    const auto processes = plan_network(*config, inputs);

    Supervisor supervisor({}, [](const std::string& line) { print_status("up", line); });
    const auto slots = supervise(supervisor, processes, "up");
    EndpointsInputs endpoints{config.get(), config_file, state_dir, admin_key, &processes, {}};
    const auto write_endpoints = [&] {
        endpoints.pids = pids_of(supervisor, slots);
        write_endpoints_json(endpoints);
    };
    write_endpoints();  // before any child starts, so a reader never sees a stale file from a previous run
    print_status("up", "endpoints: " + fs::absolute(state_dir / "endpoints.json").string());
    supervisor.start_all();
    write_endpoints();
    std::fputs(render_intro(*config, processes, state_dir, config_file).c_str(), stdout);
    std::fflush(stdout);
    run_until_stopped(supervisor, signals, write_endpoints);
    print_status("up", "every process stopped");
    return 0;
}

int run_node(const NodeOptions& options, const CLI::App* root) {
    runtime::SignalWatcher signals;
    const auto config = config::load_file_or_throw(options.config_file);
    const fs::path state_dir = options.state_dir.empty() ? fs::path("state") / options.node : fs::path(options.state_dir);
    const PlanInputs inputs{state_dir, {}, [root](std::string_view name) { return has_command(root, name); }};
    const auto processes = plan_node(*config, options.node, inputs);  // before seeding: a wrong name changes nothing
    const auto seeded = seed_role_config(options.config_file, role_config_path(state_dir), SeedMode::if_newer);
    print_status("node", fmt::format("{} {}; roles read {}", seeded ? "seeded" : "kept the newer configuration in",
                                     role_config_path(state_dir).string(), role_config_path(state_dir).string()));
    Supervisor supervisor({}, [](const std::string& line) { print_status("node", line); });
    supervise(supervisor, processes, "node");
    supervisor.start_all();
    run_until_stopped(supervisor, signals, {});
    print_status("node", "every process stopped");
    return 0;
}

}  // namespace

void register_commands(CommandTree tree) {
    const CLI::App* root = &tree.root;

    auto up_options = std::make_shared<UpOptions>();
    auto* up = tree.root.add_subcommand("up", "Run a whole network of a configuration on this machine (default: the demo)");
    up->add_option("FILE", up_options->config_file, "Configuration file (default: examples/demo.toml)")
        ->check(CLI::ExistingFile);
    up->add_option("--state-dir", up_options->state_dir, "State directory (default ./state/<network name>)");
    up->add_option("--site", up_options->site_dir, "Site directory the demo origins serve (default examples/site)")
        ->check(CLI::ExistingDirectory);
    up->add_option("--admin-key", up_options->admin_key, "Admin private key to list in endpoints.json")
        ->check(CLI::ExistingFile);
    up->callback([up_options, root] {
        if (const int code = run_up(*up_options, root); code != 0) throw CLI::RuntimeError(code);
    });

    auto node_options = std::make_shared<NodeOptions>();
    auto* node = tree.root.add_subcommand("node", "Run every role the configuration gives one server (a real node's service)");
    node->add_option("CONFIG", node_options->config_file, "Configuration file")->required()->check(CLI::ExistingFile);
    node->add_option("--node", node_options->node, "This server's name (pops[].servers[].name)")->required();
    node->add_option("--state-dir", node_options->state_dir, "State directory (default ./state/<node>)");
    node->callback([node_options, root] {
        if (const int code = run_node(*node_options, root); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace udn::up
