// `udn configd`: receives pushes over TLS, verifies and stores them, forwards them down the
// push tree, commits or aborts on the coordinator's word, reloads the local roles, and catches
// up from its parent when it starts (and periodically) so a node that was down converges.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace udn::runtime {
class Registry;
}

namespace udn::configd::daemon {

struct DaemonOptions {
    std::filesystem::path config_path;  // the initial file, copied into the store on first start
    std::string server;                 // pops[].servers[].name of this node
    std::filesystem::path state_dir;
    std::string listen_address;  // empty = the server's first address
    std::uint16_t listen_port = 0;  // 0 with an empty address = ports.configd
    bool listen_override = false;
    int sync_interval_ms = 30000;
    runtime::Registry* registry = nullptr;  // where the daemon's metrics go (optional)
};

class Daemon {
public:
    // Opens the store, loads the committed configuration and binds the listener.
    // Throws std::runtime_error with a clear message on start-up failures.
    explicit Daemon(DaemonOptions options);
    ~Daemon();

    std::uint16_t port() const;
    // Serves until `stop` becomes true.
    void run(const std::atomic<bool>& stop);
    // Asks the nearest live ancestor for its committed version; adopts it if newer and valid.
    void catch_up();
    std::uint64_t committed_version() const;
    // Where GET /metrics and /healthz are served: the server's first address, ports.configd_admin.
    std::pair<std::string, std::uint16_t> admin_endpoint() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The whole `udn configd` process: pid file, signals (SIGTERM/SIGINT stop, SIGHUP re-syncs),
// GET /metrics and /healthz on ports.configd_admin of the server's first address.
int run_configd(const DaemonOptions& options);

}  // namespace udn::configd::daemon
