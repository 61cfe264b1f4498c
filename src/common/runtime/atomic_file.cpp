#include "common/runtime/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace udn::runtime {

namespace {

std::atomic<std::uint64_t> fsyncs{0};
std::atomic<std::uint64_t> writers{0};  // AtomicFileWriter temporary names: one per writer

std::string describe(const std::string& what, const std::filesystem::path& path) {
    return what + " " + path.string() + ": " + std::strerror(errno);
}

bool counted_fsync(int fd) {
    fsyncs.fetch_add(1, std::memory_order_relaxed);
    return ::fsync(fd) == 0;
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

std::filesystem::path temporary_for(const std::filesystem::path& directory, const std::string& name) {
    return directory / ("." + name + ".tmp");
}

// Writes and fsyncs the temporary file of `name`; on failure nothing is left behind.
std::optional<std::string> write_temporary(const std::filesystem::path& directory, const FileContent& file) {
    const auto temporary = temporary_for(directory, file.name);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return describe("cannot create", temporary);
    if (!write_all(fd, file.bytes) || !counted_fsync(fd)) {
        auto error = describe("cannot write", temporary);
        ::close(fd);
        ::unlink(temporary.c_str());
        return error;
    }
    ::close(fd);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> write_files_atomically(const std::filesystem::path& directory,
                                                  const std::vector<FileContent>& files, bool sync) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (auto error = write_temporary(directory, files[i])) {
            for (std::size_t j = 0; j < i; ++j) ::unlink(temporary_for(directory, files[j].name).c_str());
            return error;
        }
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto temporary = temporary_for(directory, files[i].name);
        const auto target = directory / files[i].name;
        if (::rename(temporary.c_str(), target.c_str()) != 0) {
            auto error = describe("cannot rename onto", target);
            for (std::size_t j = i; j < files.size(); ++j) ::unlink(temporary_for(directory, files[j].name).c_str());
            return error;
        }
    }
    return sync ? sync_directory(directory) : std::nullopt;
}

std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    return write_files_atomically(path.parent_path(), {FileContent{path.filename().string(), bytes}});
}

std::optional<std::string> sync_directory(const std::filesystem::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return describe("cannot open directory", directory);
    // EINVAL: this file system cannot fsync a directory (its renames are as durable as it gets).
    const bool synced = counted_fsync(fd) || errno == EINVAL;
    auto error = synced ? std::optional<std::string>{} : describe("cannot fsync directory", directory);
    ::close(fd);
    return error;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    // One read() per chunk: configuration files are read on every phase of a push.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string bytes;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (got == 0) break;
        bytes.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return bytes;
}

std::uint64_t fsync_count() { return fsyncs.load(std::memory_order_relaxed); }

// The file is made unnamed (O_TMPFILE) and gets a name only at the commit, just before the
// rename: a process killed while writing leaves nothing behind, and two writers never share a
// temporary file. Where the file system cannot make unnamed files, a temporary name of this
// process is used instead.
AtomicFileWriter::AtomicFileWriter(std::filesystem::path path)
    : path_(std::move(path)),
      temporary_(path_.parent_path() / ("." + path_.filename().string() + "." + std::to_string(::getpid()) + "." +
                                        std::to_string(writers.fetch_add(1, std::memory_order_relaxed)) + ".tmp")) {
    fd_ = ::open(path_.parent_path().c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd_ >= 0) return;
    named_ = true;
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) error_ = describe("cannot create", temporary_);
}

AtomicFileWriter::~AtomicFileWriter() {
    if (fd_ < 0) return;
    ::close(fd_);
    if (named_) ::unlink(temporary_.c_str());
}

bool AtomicFileWriter::write(std::string_view bytes) {
    if (error_) return false;
    if (!write_all(fd_, bytes)) error_ = describe("cannot write", temporary_);
    return !error_;
}

std::optional<std::string> AtomicFileWriter::commit() {
    if (!error_ && !counted_fsync(fd_)) error_ = describe("cannot fsync", temporary_);
    if (!error_ && !named_) {
        // A name for the unnamed file, then the rename (link cannot replace an existing file).
        ::unlink(temporary_.c_str());  // left by an earlier process with this pid and count
        const auto self = "/proc/self/fd/" + std::to_string(fd_);
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
            named_ = true;
        } else {
            error_ = describe("cannot link", temporary_);
        }
    }
    if (!error_ && ::rename(temporary_.c_str(), path_.c_str()) != 0) error_ = describe("cannot rename onto", path_);
    ::close(fd_);
    if (error_ && named_) ::unlink(temporary_.c_str());
    fd_ = -1;
    if (error_) return error_;
    if (auto failure = sync_directory(path_.parent_path())) {
        return "replaced " + path_.string() + ", but it may not survive a crash: " + *failure;
    }
    return std::nullopt;
}

}  // namespace udn::runtime
