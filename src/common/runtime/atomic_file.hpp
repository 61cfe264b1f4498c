// Crash-safe file replacement: write temporary files, fsync them, rename them over the targets,
// fsync the directory once. A reader sees the old bytes or the new bytes, never a mix.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udn::runtime {

// Returns an error message, or nullopt on success.
std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Several files of one directory, each replaced atomically, with one directory fsync for all of
// them (a push stores a file and its signature together). The renames happen in the given
// order, after every file's data is on disk; with sync_directory = false the caller fsyncs
// the directory itself later (one fsync covering more renames).
struct FileContent {
    std::string name;  // a file name inside the directory, no slashes
    std::string_view bytes;
};
std::optional<std::string> write_files_atomically(const std::filesystem::path& directory,
                                                  const std::vector<FileContent>& files, bool sync_directory = true);

// Makes the renames and links done in `directory` durable. Returns an error message or nullopt.
std::optional<std::string> sync_directory(const std::filesystem::path& directory);

std::optional<std::string> read_file(const std::filesystem::path& path);

// A file written in pieces (too large to build in memory first) and put in place by commit()
// as write_file_atomically does: until then, and whenever something fails, the file at `path`
// is untouched. A writer destroyed without a commit, or a process that dies while writing,
// leaves no temporary file behind.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::filesystem::path path);
    ~AtomicFileWriter();
    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

    // Appends `bytes`; false once anything failed (error() says what).
    bool write(std::string_view bytes);
    // fsyncs the file, renames it onto `path` and fsyncs the directory. Returns an error message
    // or nullopt (when only the directory's fsync failed, the new file is in place and the
    // message says so).
    std::optional<std::string> commit();
    const std::optional<std::string>& error() const { return error_; }

private:
    std::filesystem::path path_;
    std::filesystem::path temporary_;  // the file's name until the rename, when it has one
    int fd_ = -1;
    bool named_ = false;  // false: an unnamed O_TMPFILE file, which vanishes if the process dies
    std::optional<std::string> error_;
};

// fsync() calls made by this process through this file (the store's I/O cost; tests and /metrics).
std::uint64_t fsync_count();

}  // namespace udn::runtime
