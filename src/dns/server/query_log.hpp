// The query log: one spool line per answered query (format in docs/dns.md) for the log
// pipeline. Each worker formats its query's line straight into its own single-producer byte ring
// (no lock, no allocation, no copy of the query into a record first); a writer thread wakes every
// few milliseconds and appends each ring's new bytes to the spool with one write(2), without
// touching them. When a ring is full (or the spool cannot be written) the line is counted as
// dropped rather than slowing the answer down.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "common/runtime/mirrored_buffer.hpp"
#include "dns/server/query_handler.hpp"

namespace udn::runtime {
class SpoolWriter;
}

namespace udn::dns::server {

// One answered query as its worker knows it: the line's fields, the large ones by pointer, so that
// nothing is copied before the line is written.
struct QueryLogEntry {
    std::int64_t time_ms = 0;
    net::IpAddress client;
    const wire::Name* qname = nullptr;  // required: only queries with a question are logged
    // qname as the line writes it, when the worker knows it (a zone node's text); else the line
    // formats qname.
    std::string_view qname_text;
    std::uint16_t qtype = 0;
    std::uint16_t rcode = 0;
    Transport transport = Transport::udp;
    const net::IpAddress* answer = nullptr;  // a GSLB name's first answer address, or null ("-")
    std::string_view pop;  // that answer's POP ("origin" for origins), or "" ("-")
    const net::IpAddress* client_subnet = nullptr;  // the EDNS Client Subnet address, or null ("-")
    std::uint8_t source_prefix_length = 0;
    std::uint8_t scope_prefix_length = 0;
};

// "1700000000123\teu-ns1\t192.0.2.1\tudp\twww.acme.example\tA\tNOERROR\t192.0.2.10\teu-west\t198.51.100.0/24/24"
std::string format_query_log_line(const QueryLogEntry& entry, std::string_view server);

class QueryLog {
public:
    QueryLog(std::size_t workers, std::string server, runtime::SpoolWriter& spool);
    ~QueryLog();
    void start();
    void stop();  // writes what is queued, then joins

    // Hot path, from worker `worker` only (one thread per worker index): the line is formatted
    // into that worker's ring, or counted as dropped when the ring has no room for a line.
    void add(std::size_t worker, const QueryLogEntry& entry);
    // Moves everything queued into the spool now (the writer thread does it every
    // drain_interval; tests call it directly instead of start()).
    void drain();
    std::uint64_t dropped() const;
    std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }

    // Per worker. At 200k queries/s of ~100-byte lines a drain takes ~100 KiB, and a full ring
    // is ~100 ms of lines: room for a writer that a saturated core lets run only now and then.
    static constexpr std::size_t ring_bytes = std::size_t{2} << 20;
    static constexpr std::chrono::milliseconds drain_interval{5};

private:
    struct alignas(64) Ring {
        // Mapped twice in a row, so a line that crosses the end is still one piece to format and
        // to write.
        runtime::MirroredBuffer text{ring_bytes};
        // The worker's: the line's start ("<time_ms>\t<server>") for the last time it wrote.
        // ~200 queries share each millisecond at full load, and to_chars of a 13-digit time was a
        // quarter of the log's instructions per line.
        std::int64_t prefix_time_ms = std::numeric_limits<std::int64_t>::min();  // none yet
        std::string prefix;
        // Positions (RingPosition in query_log.cpp: bytes and lines, in one word so that the writer
        // learns how many lines the bytes it ships hold without searching them for newlines).
        alignas(64) std::atomic<std::uint64_t> tail{0};  // written, advanced by the worker
        alignas(64) std::atomic<std::uint64_t> head{0};  // shipped, advanced by the writer thread
        std::atomic<std::uint64_t> dropped{0};
    };
    void run();

    std::string server_;
    runtime::SpoolWriter& spool_;
    std::vector<std::unique_ptr<Ring>> rings_;
    std::mutex drain_mutex_;  // drain() from the writer thread and from stop()/tests
    std::size_t line_bytes_at_most_ = 0;
    bool failing_ = false;  // the last spool write failed (logged once per episode)
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace udn::dns::server
