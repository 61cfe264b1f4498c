// The access log: one tab-separated line per request (docs/cache.md documents the fields),
// written through the shared spool writer (common/runtime/spool.hpp: <spool>/current, closed
// by size or age into <spool>/ready/). Lines are buffered and handed to the spool by the
// caller of flush() (a timer), never written on the request path. The buffer is bounded: when
// the flushing thread (nice 19, so that it never delays requests) is starved for seconds by a
// saturated worker, or the spool cannot be written, lines are dropped and counted rather than
// held without limit.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/runtime/spool.hpp"

namespace udn::cache::log {

struct AccessRecord {
    std::int64_t time_ms = 0;  // Unix time of the request's arrival
    std::string_view pop;
    std::string_view client;
    std::string_view host;
    std::string_view customer;
    std::string_view method;
    std::string_view url;
    int status = 0;
    std::uint64_t bytes = 0;      // body bytes sent
    std::string_view result;      // HIT MISS STALE REVALIDATED COLLAPSED PASS ERROR
    double first_byte_ms = 0;
    double total_ms = 0;
    std::string_view origin;      // origin server name, "-" when none was asked
    std::string_view scheme = "http";  // "https" on the TLS port
};

class AccessLog {
public:
    static constexpr std::size_t default_max_pending_bytes = 64u << 20;  // ~4 s of lines at 100k requests/s

    AccessLog(std::filesystem::path directory, std::size_t max_bytes, std::uint32_t max_age_s,
              std::size_t max_pending_bytes = default_max_pending_bytes);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    void append(const AccessRecord& record);
    // Writes buffered lines; closes the current file when it is too big or too old.
    void flush(std::int64_t now_s);
    void close();
    // Lines lost: the buffer was full, or the spool could not be written.
    std::uint64_t dropped_lines() const { return dropped_lines_.load(std::memory_order_relaxed); }

private:
    std::mutex mutex_;
    std::string pending_;
    std::size_t max_pending_bytes_;
    std::atomic<std::uint64_t> dropped_lines_{0};
    std::int64_t last_warning_s_ = 0;   // flush thread only
    std::uint64_t warned_dropped_ = 0;  // dropped_lines() at the last warning
    runtime::SpoolWriter spool_;
};

}  // namespace udn::cache::log
