// Everything that tunes one cache process, with defaults; filled from the command line and the
// configuration snapshot by commands.cpp, and directly by tests.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/http/request_parser.hpp"
#include "cache/origin/client.hpp"

namespace udn::cache::server {

struct Settings {
    std::string pop = "local";          // names this cache in Cache-Status: udn-<pop>
    std::string cache_status_name;      // overrides "udn-<pop>" (the two-process tiers: udn-<pop>-mem, -disk)
    std::string server_name = "cache";
    std::string listen_address = "127.0.0.1";
    std::uint16_t http_port = 0;        // 0 = any free port (tests)
    std::uint16_t admin_port = 0;
    bool https = false;                 // listen on https_port (needs certificates in Context)
    std::uint16_t https_port = 0;
    std::size_t threads = 1;            // workers, each with its own event loop and SO_REUSEPORT socket
    std::size_t max_connections = 10000;
    // Complete bodies in a memory file (64 KiB and more) below this go out with sendfile(2),
    // larger ones are copied into the socket with the head (docs/cache.md, "Copy, not sendfile":
    // measured on loopback; a NIC with TSO may favour sendfile for larger bodies too).
    std::uint64_t sendfile_below_bytes = 256 * 1024;
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
    // A memory front: misses (and passes) go to the disk back at backend_host:backend_port, and
    // purges to its admin port; empty = this process fetches from the origins itself.
    std::string backend_host;
    std::uint16_t backend_port = 0;
    std::uint16_t backend_admin_port = 0;
    std::chrono::milliseconds backend_down_for{5000};
    // A disk back: its clients are fronts, so an X-Forwarded-For they send is kept (extended
    // with the front's address) instead of replaced, and origins still see the real client.
    bool trust_forwarded_for = false;  // after the back failed, fetch from the origins this long
    // Where the cache reports events of its own (the back going down or up): level, message.
    std::function<void(std::string_view, const std::string&)> notify;
};

}  // namespace udn::cache::server
