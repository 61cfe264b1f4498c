// The query log: one spool line per answered query (format in docs/dns.md) for the log
// pipeline. Workers copy a fixed-size record into their own single-producer ring (no lock, no
// allocation); a writer thread wakes every few milliseconds, formats everything queued and
// appends it to the spool with one write(2). When a ring is full (or the spool cannot be
// written) the record is counted as dropped rather than slowing the answer down.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/server/query_handler.hpp"

namespace udn::runtime {
class SpoolWriter;
}

namespace udn::dns::server {

// The fixed-size fields first and the name last, on a cache-line boundary: a worker writes a
// record into a ring slot last touched 8,192 queries earlier (cold), so what it costs is the
// number of cache lines it touches. In this order a typical query's record (~100 bytes of
// fields, then the name's length and its ~20 bytes) lies in two lines; in declaration order with
// the 255-byte name in the middle it lay in three or four.
struct alignas(64) QueryLogRecord {
    std::int64_t time_ms = 0;
    net::IpAddress client;
    net::IpAddress answer;
    net::IpAddress client_subnet;
    std::array<char, 32> pop{};  // the answer's POP ("origin" for origins), NUL-terminated
    std::uint16_t qtype = 0;
    std::uint16_t rcode = 0;
    Transport transport = Transport::udp;
    bool has_answer = false;
    bool has_client_subnet = false;
    std::uint8_t source_prefix_length = 0;
    std::uint8_t scope_prefix_length = 0;
    wire::Name qname;
};

// "1700000000123\teu-ns1\t192.0.2.1\tudp\twww.acme.example\tA\tNOERROR\t192.0.2.10\teu-west\t198.51.100.0/24/24"
std::string format_query_log_line(const QueryLogRecord& record, std::string_view server);
// The same line (without its newline) appended to `out`.
void append_query_log_line(std::string& out, const QueryLogRecord& record, std::string_view server);

class QueryLog {
  public:
    QueryLog(std::size_t workers, std::string server, runtime::SpoolWriter& spool);
    ~QueryLog();
    void start();
    void stop();  // writes what is queued, then joins

    // Hot path, from worker `worker` only (one thread per worker index).
    void add(std::size_t worker, const QueryLogRecord& record);
    // The same in two steps, so that a worker fills the ring's slot in place instead of building
    // a record (~350 bytes) and copying it: reserve() returns the free slot (its old contents
    // are stale: set every field) or null when the ring is full (then the line is counted as
    // dropped); commit() publishes it. Nothing else may happen on that worker in between.
    QueryLogRecord* reserve(std::size_t worker);
    void commit(std::size_t worker);
    // Moves everything queued into the spool now (the writer thread does it every
    // drain_interval; tests call it directly instead of start()).
    void drain();
    std::uint64_t dropped() const;
    std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }

    // At 150k queries/s a drain takes ~750 records, well inside a ring.
    static constexpr std::size_t ring_records = 8192;
    static constexpr std::chrono::milliseconds drain_interval{5};

  private:
    struct alignas(64) Ring {
        std::vector<QueryLogRecord> records = std::vector<QueryLogRecord>(ring_records);
        alignas(64) std::atomic<std::uint64_t> tail{0};  // advanced by the worker
        alignas(64) std::atomic<std::uint64_t> head{0};  // advanced by the writer thread
        std::atomic<std::uint64_t> dropped{0};
    };
    void run();

    std::string server_;
    runtime::SpoolWriter& spool_;
    std::vector<std::unique_ptr<Ring>> rings_;
    std::mutex drain_mutex_;  // drain() from the writer thread and from stop()/tests
    // The batch being formatted, reused. Lines are written straight into it (not into a line
    // buffer and then appended): a plain array, because std::string cannot grow without
    // zero-filling what is about to be overwritten.
    std::unique_ptr<char[]> text_;
    std::size_t text_capacity_ = 0;
    // The line's start ("<time_ms>\t<server>") for the last time formatted:
    // ~200 queries share each millisecond at full load, and to_chars of a 13-digit time was a
    // quarter of the writer's instructions per line.
    std::int64_t prefix_time_ms_ = -1;
    std::string prefix_;
    bool failing_ = false;  // the last spool write failed (logged once per episode)
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace udn::dns::server
