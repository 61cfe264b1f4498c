// The first stage of the log pipeline: a role appends log lines (one at a time, or a whole
// batch with one write(2)) to <state-dir>/spool/<role>/current; the file is closed when it reaches a size or an age and
// moved, durably and exactly once, to ready/<UTC timestamp>-<seq>.log, where the distributor
// picks it up. docs/operations.md documents the on-disk format and the crash guarantees.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
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

// What append_lines throws: the message names the path, and `appended_bytes` says how much of
// the batch (whole lines, from its start) is in the spool anyway, so that a caller counts as lost
// only the lines that are. Those bytes may sit in a `current` the writer could not close; it is
// published before the next file is opened, or at the next start.
class SpoolError : public std::runtime_error {
public:
    SpoolError(const std::string& message, std::size_t appended_bytes)
        : std::runtime_error(message), appended_bytes_(appended_bytes) {}
    std::size_t appended_bytes() const { return appended_bytes_; }

private:
    std::size_t appended_bytes_;
};

// Thread-safe (one mutex; each append is one write(2), and so is each append_lines batch unless
// it crosses max_bytes). Throws std::runtime_error naming the
// path when the directory cannot be created or a file cannot be written, renamed or synced.
// A `current` that could not be closed keeps its lines: the next open publishes it first.
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
    // Appends many lines, separated by '\n' (the last one may lack it), with one write(2) —
    // the way to log at a high rate. CR inside a line becomes a space. Closes by age and size
    // like append(); a batch that crosses max_bytes is split at a line boundary, so files
    // still close near max_bytes. A failed write is cut back to the last whole line before
    // the exception, so `current` never holds a partial line the process could later extend.
    // Failures throw SpoolError, which says how much of the batch was appended before.
    void append_lines(std::string_view lines);
    // Closes current if it is older than max_age_s; call it about once a second, so that a
    // quiet role still ships its lines.
    void tick();
    // Closes current now if it holds anything (SIGTERM, tests), also one whose close failed.
    void close_current();

    std::filesystem::path ready_directory() const { return options_.directory / "ready"; }
    std::filesystem::path current_path() const { return options_.directory / "current"; }
    std::uint64_t files_closed() const;

private:
    // A `current` no open file stands for (a crash, or a close that failed): cut a torn last
    // line and publish it into ready/, or remove it if nothing is left.
    void publish_leftover_locked();
    void open_locked();
    void write_locked(std::string_view whole_lines);
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
