// `udn dns`: runs the authoritative GSLB DNS server of one configured server until SIGTERM or
// SIGINT; SIGHUP re-reads the configuration and swaps zones and policies without dropping a
// query (a broken file is logged and the running snapshot kept). Serves GET /metrics,
// /healthz and /explain on ports.dns_admin and writes the query log to the spool.
#pragma once
#include <cstddef>

#include "common/runtime/role_options.hpp"

namespace udn::dns::server {

struct RoleSettings {
    runtime::RoleOptions role;
    std::size_t udp_workers = 1;
    bool query_log = true;
};

// Returns the process exit code; start-up problems throw with what and how to fix.
int run_dns_role(const RoleSettings& settings);

}  // namespace udn::dns::server
