// `udn cache`: loads the configuration, finds this server, runs the cache until SIGTERM/SIGINT,
// reloads routes on SIGHUP (a bad new file is reported and the old snapshot kept).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace udn::cache::control {

struct RunOptions {
    std::string config_path;
    std::string server;
    std::string state_dir;
    std::string log_format = "text";
    std::size_t threads = 1;
    std::optional<std::size_t> memory_mb;  // default 256, or 16 for --tier disk
    // "both" (one process), "memory" (a front asking a disk back) or "disk" (the back);
    // empty = what the server's cache_tiers says (both, or an error for two-process servers).
    std::string tier;
    std::string backend;  // --tier memory: the back's HTTP HOST:PORT (default: first address, ports.cache_backend)
    std::size_t disk_mb = 1024;
    std::size_t max_connections = 10000;
    std::uint64_t sendfile_below_kb = 256;
    std::uint32_t request_timeout_ms = 10000;
    std::vector<std::string> host_aliases;  // "ALIAS=STATIC_NAME"
    std::optional<std::uint16_t> http_port;
    std::optional<std::uint16_t> admin_port;
    std::optional<std::uint16_t> https_port;
};

int run_cache(const RunOptions& options);

}  // namespace udn::cache::control
