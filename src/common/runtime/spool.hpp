// The first stage of the log pipeline: a role appends one log line at a time to
// <state-dir>/spool/<role>/current; the file is closed when it reaches a size or an age and
// moved, durably and exactly once, to ready/<UTC timestamp>-<seq>.log, where the distributor
// picks it up. docs/operations.md documents the on-disk format and the crash guarantees.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace udn::runtime {

struct SpoolOptions {
    std::filesystem::path directory;          // <state-dir>/spool/<role>
    std::uint64_t max_bytes = 4 * 1024 * 1024;  // config.logs.spool_max_bytes
    std::uint32_t max_age_s = 60;               // config.logs.spool_max_age_s
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

// "<dir>/spool/<role>" for a role's state directory.
std::filesystem::path spool_directory(const std::filesystem::path& state_dir, std::string_view role);

// Thread-safe (one mutex; each append is one write(2)). Throws std::runtime_error naming the
// path when the directory cannot be created or a file cannot be written, renamed or synced.
class SpoolWriter {
public:
    // Creates directory/ and directory/ready/; a `current` left by a crash is closed into
    // ready/ first (its torn last line, if any, dropped), so nothing written before is lost.
    explicit SpoolWriter(SpoolOptions options, WallClock clock = std::chrono::system_clock::now);
    ~SpoolWriter();  // closes a non-empty current into ready/
    SpoolWriter(const SpoolWriter&) = delete;
    SpoolWriter& operator=(const SpoolWriter&) = delete;

    // Appends one line (a newline is added; CR/LF inside the line become spaces). Closes the
    // file first if it is too old, and afterwards if it reached max_bytes.
    void append(std::string_view line);
    // Appends a batch of complete lines ("a\nb\n", each already free of CR) in one write(2),
    // for a role that buffers lines (the cache's access log): one system call per batch
    // instead of per line. The file may exceed max_bytes by one batch before it is closed.
    void append_lines(std::string_view lines);
    // Closes current if it is older than max_age_s; call it about once a second, so that a
    // quiet role still ships its lines.
    void tick();
    // Closes current now if it holds anything (SIGTERM, tests).
    void close_current();

    std::filesystem::path ready_directory() const { return options_.directory / "ready"; }
    std::filesystem::path current_path() const { return options_.directory / "current"; }
    std::uint64_t files_closed() const;

private:
    void open_locked();
    void close_locked();
    bool too_old_locked() const;

    SpoolOptions options_;
    WallClock clock_;
    mutable std::mutex mutex_;
    int fd_ = -1;
    std::uint64_t size_bytes_ = 0;
    std::chrono::system_clock::time_point first_line_at_{};
    std::uint64_t next_seq_ = 1;
    std::uint64_t files_closed_ = 0;
};

}  // namespace udn::runtime
