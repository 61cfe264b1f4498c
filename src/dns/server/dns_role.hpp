// `udn dns`: runs the authoritative GSLB DNS server of one configured server until SIGTERM or
// SIGINT; SIGHUP re-reads the configuration and swaps zones and policies without dropping a
// query (a broken file is logged and the running snapshot kept).
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>

namespace udn::dns::server {

struct RoleSettings {
    std::filesystem::path config_path;
    std::string server;
    std::filesystem::path state_dir;  // default ./state/<server>
    std::string log_format = "text";
    std::size_t udp_workers = 1;
};

// Returns the process exit code; start-up problems are printed with what and how to fix.
int run_dns_role(const RoleSettings& settings);

}  // namespace udn::dns::server
