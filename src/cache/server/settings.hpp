// Everything that tunes one cache process, with defaults; filled from the command line and the
// configuration snapshot by commands.cpp, and directly by tests.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cache/http/request_parser.hpp"
#include "cache/origin/client.hpp"

namespace udn::cache::server {

struct Settings {
    std::string pop = "local";          // names this cache in Cache-Status: udn-<pop>
    std::string server_name = "cache";
    std::string listen_address = "127.0.0.1";
    std::uint16_t http_port = 0;        // 0 = any free port (tests)
    std::uint16_t admin_port = 0;
    bool https = false;                 // listen on https_port (needs certificates in Context)
    std::uint16_t https_port = 0;
    std::size_t threads = 1;            // workers, each with its own event loop and SO_REUSEPORT socket
    std::size_t max_connections = 10000;
    http::Limits limits;
    std::size_t max_request_body_bytes = 1 << 20;  // beyond: 413
    std::chrono::milliseconds request_timeout{10000};  // a request head (or keep-alive idle) must arrive within
    std::chrono::milliseconds body_timeout{10000};     // between pieces of a request body
    std::chrono::milliseconds send_timeout{30000};     // a response write must make progress within
    origin::Timeouts origin_timeouts;
    std::chrono::milliseconds origin_down_for{10000};  // passive health: how long a failed origin is skipped
    std::size_t memory_bytes = 256u << 20;
    std::size_t max_object_bytes = 64u << 20;      // larger responses are streamed but not stored
    std::int64_t heuristic_cap_s = 86400;
    std::filesystem::path disk_dir;     // empty = no disk tier
    std::size_t disk_bytes = 1u << 30;
    std::filesystem::path spool_dir;    // empty = no access log
    std::size_t spool_max_bytes = 4u << 20;
    std::uint32_t spool_max_age_s = 60;
    std::string admin_key;              // hex; authenticates purge requests (network.report_key)
};

}  // namespace udn::cache::server
