// Spool files with fsync-then-rename closing; see spool.hpp and docs/operations.md.
#include "common/runtime/spool.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace udn::runtime {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
    throw std::runtime_error(fmt::format("spool: {} {}: {}", what, path.string(), std::strerror(errno)));
}

void sync_directory(const std::filesystem::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("cannot open directory", directory);
    const int result = ::fsync(fd);
    ::close(fd);
    if (result != 0) fail("cannot fsync directory", directory);
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string timestamp_name(std::chrono::system_clock::time_point time) {
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                       utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis % 1000));
}

// Moves `from` to ready/<timestamp>-<seq>.log without ever replacing an existing file, and makes
// the move durable. Returns the seq used + 1.
std::uint64_t publish(const std::filesystem::path& from, const std::filesystem::path& ready, const std::string& stamp,
                      std::uint64_t seq) {
    while (true) {
        const auto to = ready / fmt::format("{}-{:06}.log", stamp, seq);
        if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) break;
        if (errno != EEXIST) fail("cannot move into ready/", from);
        ++seq;
    }
    sync_directory(ready);
    sync_directory(from.parent_path());
    return seq + 1;
}

// A `current` left behind by a crash: cut a torn last line, sync, publish (or drop if empty).
std::uint64_t recover(const std::filesystem::path& current, const std::filesystem::path& ready, const std::string& stamp,
                      std::uint64_t seq) {
    const int fd = ::open(current.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return seq;
        fail("cannot open", current);
    }
    struct stat info {};
    ::fstat(fd, &info);
    off_t keep = info.st_size;
    char byte = 0;
    while (keep > 0 && (::pread(fd, &byte, 1, keep - 1) != 1 || byte != '\n')) --keep;
    const bool ok = (keep == info.st_size || ::ftruncate(fd, keep) == 0) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) fail("cannot repair", current);
    if (keep == 0) {
        ::unlink(current.c_str());
        return seq;
    }
    return publish(current, ready, stamp, seq);
}

}  // namespace

std::filesystem::path spool_directory(const std::filesystem::path& state_dir, std::string_view role) {
    return state_dir / "spool" / std::string{role};
}

SpoolWriter::SpoolWriter(SpoolOptions options, WallClock clock) : options_(std::move(options)), clock_(std::move(clock)) {
    std::error_code error;
    std::filesystem::create_directories(ready_directory(), error);
    if (error) {
        throw std::runtime_error("spool: cannot create " + ready_directory().string() + ": " + error.message());
    }
    publish_leftover_locked();
}

SpoolWriter::~SpoolWriter() {
    try {
        close_current();
    } catch (const std::exception&) {
        // Lines stay in `current`; the next start publishes them.
    }
}

void SpoolWriter::publish_leftover_locked() {
    next_seq_ = recover(current_path(), ready_directory(), timestamp_name(clock_()), next_seq_);
}

void SpoolWriter::open_locked() {
    // A `current` is here only if closing it failed (fsync, rename): publish it before the
    // truncating open below would throw its lines away. If that fails again, nothing is lost.
    publish_leftover_locked();
    fd_ = ::open(current_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create", current_path());
    size_bytes_ = 0;
    first_line_at_ = clock_();
}

void SpoolWriter::close_locked() {
    if (fd_ < 0) return;
    const bool synced = ::fdatasync(fd_) == 0;
    ::close(fd_);
    fd_ = -1;
    if (!synced) fail("cannot fsync", current_path());
    next_seq_ = publish(current_path(), ready_directory(), timestamp_name(clock_()), next_seq_);
    ++files_closed_;
}

bool SpoolWriter::too_old_locked() const {
    return fd_ >= 0 && clock_() - first_line_at_ >= std::chrono::seconds(options_.max_age_s);
}

void SpoolWriter::write_locked(std::string_view whole_lines) {
    if (!write_all(fd_, whole_lines)) {
        const int error = errno;
        // A torn write (disk full) would glue the next line onto half a record; the write
        // error is the one worth reporting, so the cut's own result is not checked.
        [[maybe_unused]] const int cut = ::ftruncate(fd_, static_cast<off_t>(size_bytes_));
        errno = error;
        fail("cannot write", current_path());
    }
    size_bytes_ += whole_lines.size();
}

void SpoolWriter::append(std::string_view line) {
    std::string record{line};
    for (char& c : record) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    record.push_back('\n');
    const std::lock_guard lock(mutex_);
    if (too_old_locked()) close_locked();
    if (fd_ < 0) open_locked();
    write_locked(record);
    if (size_bytes_ >= options_.max_bytes) close_locked();
}

void SpoolWriter::append_lines(std::string_view lines) {
    if (lines.empty()) return;
    // Callers that already write clean lines (the DNS query log, ~20 MB/s under load) are
    // appended as they are; only text with a CR or without its last newline is copied to fix.
    std::string fixed;
    if (lines.back() != '\n' || std::memchr(lines.data(), '\r', lines.size()) != nullptr) {
        fixed.assign(lines);
        std::replace(fixed.begin(), fixed.end(), '\r', ' ');
        if (fixed.back() != '\n') fixed.push_back('\n');
        lines = fixed;
    }
    const std::lock_guard lock(mutex_);
    std::size_t appended = 0;
    try {
        if (too_old_locked()) close_locked();
        std::string_view rest = lines;
        while (!rest.empty()) {
            if (fd_ < 0) open_locked();
            // Whole lines up to the first one that makes the file reach max_bytes: the line whose
            // newline is at or after the byte that fills the file (rest ends with a newline).
            std::size_t take = rest.size();
            if (size_bytes_ + rest.size() >= options_.max_bytes) {
                take = rest.find('\n', static_cast<std::size_t>(options_.max_bytes - size_bytes_ - 1)) + 1;
            }
            write_locked(rest.substr(0, take));
            appended += take;
            rest.remove_prefix(take);
            if (size_bytes_ >= options_.max_bytes) close_locked();
        }
    } catch (const std::runtime_error& error) {
        throw SpoolError(error.what(), appended);
    }
}

void SpoolWriter::tick() {
    const std::lock_guard lock(mutex_);
    if (too_old_locked()) close_locked();
}

void SpoolWriter::close_current() {
    const std::lock_guard lock(mutex_);
    if (fd_ >= 0) {
        close_locked();
    } else {
        // A `current` whose close failed earlier: publish it now rather than at the next start.
        publish_leftover_locked();
    }
}

std::uint64_t SpoolWriter::files_closed() const {
    const std::lock_guard lock(mutex_);
    return files_closed_;
}

}  // namespace udn::runtime
