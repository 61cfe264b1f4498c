#include "dns/server/client_state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "common/crypto/sha256.hpp"
#include "common/runtime/atomic_file.hpp"

namespace udn::dns::server {
namespace {

constexpr std::string_view magic = "UDNCST01";
constexpr std::size_t trailer_bytes = 3 * 8;
constexpr std::size_t digest_bytes = crypto::sha256_bytes;
// Records are gathered and read in pieces of this many bytes: a multiple of both record sizes.
constexpr std::size_t piece_bytes = 96 * 10'000;
static_assert(piece_bytes % cluster::handover_record_bytes == 0 &&
              piece_bytes % cluster::latency_record_bytes == 0);

std::string_view as_text(const std::uint8_t* bytes, std::size_t size) {
    return {reinterpret_cast<const char*>(bytes), size};
}

// Hashes and writes what it is given when flushed. The table walks add to it under a table
// lock and flush it between stretches, outside the lock: a query never waits for the disk.
class HashedWriter {
public:
    explicit HashedWriter(runtime::AtomicFileWriter& file) : file_(file) {
        buffer_.reserve(piece_bytes);
    }
    void add(std::string_view bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
    void flush() {
        hash_.add(as_text(buffer_.data(), buffer_.size()));
        file_.write(as_text(buffer_.data(), buffer_.size()));
        buffer_.clear();
    }
    std::array<std::uint8_t, digest_bytes> finish() {
        flush();
        return hash_.finish();
    }

private:
    runtime::AtomicFileWriter& file_;
    crypto::Sha256 hash_;
    std::vector<std::uint8_t> buffer_;
};

std::string describe(const std::filesystem::path& path, const std::string& what) {
    return "client state file " + path.string() + ": " + what;
}

// An open file read in pieces; closes itself.
class Reader {
public:
    explicit Reader(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~Reader() {
        if (fd_ >= 0) ::close(fd_);
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    int fd() const { return fd_; }
    // Exactly `size` bytes at `offset` into `out`; else why not.
    std::optional<std::string> read_at(std::uint64_t offset, std::uint8_t* out,
                                       std::size_t size) const {
        while (size > 0) {
            const auto got = ::pread(fd_, out, size, static_cast<off_t>(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return std::string("cannot read: ") + std::strerror(errno);
            if (got == 0) return std::string("it ended early (was it written to meanwhile?)");
            out += got;
            size -= static_cast<std::size_t>(got);
            offset += static_cast<std::uint64_t>(got);
        }
        return std::nullopt;
    }

private:
    int fd_;
};

}  // namespace

std::filesystem::path client_state_path(const std::filesystem::path& state_dir) {
    return state_dir / "dns" / client_state_file_name;
}

ClientStateFileResult save_client_state(const std::filesystem::path& path,
                                        const cluster::ClientStateView& view, std::int64_t now_ms) {
    ClientStateFileResult result;
    result.saved_at_ms = now_ms;
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
        result.error = describe(path, "cannot create its directory: " + error.message());
        return result;
    }
    runtime::AtomicFileWriter file(path);
    if (file.error()) {  // no walk of the tables for a file that cannot be written
        result.error = describe(path, *file.error());
        return result;
    }
    HashedWriter out(file);
    out.add(magic);
    // Persistence records come first in the walk and so in the file, then latency records.
    std::array<std::uint8_t, cluster::handover_record_bytes> record{};
    view.walk(
        now_ms,
        [&](const gslb::PersistenceTable::Held& held) {
            cluster::put_record(record.data(), held);
            out.add(as_text(record.data(), cluster::handover_record_bytes));
            ++result.persistence;
        },
        [&](const cluster::LatencyRecord& measurement) {
            cluster::put_record(record.data(), measurement);
            out.add(as_text(record.data(), cluster::latency_record_bytes));
            ++result.latency;
        },
        [&] { out.flush(); });
    std::array<std::uint8_t, trailer_bytes> trailer{};
    cluster::detail::put_u64(trailer.data(), static_cast<std::uint64_t>(now_ms));
    cluster::detail::put_u64(trailer.data() + 8, result.persistence);
    cluster::detail::put_u64(trailer.data() + 16, result.latency);
    out.add(as_text(trailer.data(), trailer.size()));
    const auto digest = out.finish();
    file.write(as_text(digest.data(), digest.size()));
    if (auto failure = file.commit()) result.error = describe(path, *failure);
    return result;
}

ClientStateFileResult load_client_state(const std::filesystem::path& path,
                                        const ServingState& serving,
                                        gslb::PersistenceTable& persistence,
                                        gslb::LatencyTable& latency, std::int64_t now_ms,
                                        std::uint32_t latency_since_s) {
    ClientStateFileResult result;
    const Reader file(path);
    if (file.fd() < 0) {
        if (errno != ENOENT)
            result.error = describe(path, std::string("cannot open: ") + std::strerror(errno));
        return result;
    }
    struct stat info {};
    if (::fstat(file.fd(), &info) != 0) {
        result.error = describe(path, std::string("cannot read: ") + std::strerror(errno));
        return result;
    }
    const auto size = static_cast<std::uint64_t>(info.st_size);
    const auto fixed = magic.size() + trailer_bytes + digest_bytes;
    std::array<std::uint8_t, trailer_bytes + digest_bytes> end{};
    std::array<std::uint8_t, magic.size()> start{};
    if (size < fixed) {
        result.error = describe(path, "too short to be one (" + std::to_string(size) + " bytes)");
        result.damaged = true;
        return result;
    }
    if (auto failure = file.read_at(0, start.data(), start.size())) {
        result.error = describe(path, *failure);
        return result;
    }
    if (auto failure = file.read_at(size - end.size(), end.data(), end.size())) {
        result.error = describe(path, *failure);
        return result;
    }
    if (as_text(start.data(), start.size()) != magic) {
        result.error = describe(
            path, "not a udn client state file of this version (no " + std::string(magic) + ")");
        result.damaged = true;
        return result;
    }
    result.saved_at_ms = static_cast<std::int64_t>(cluster::detail::get_u64(end.data()));
    const auto persistence_count = cluster::detail::get_u64(end.data() + 8);
    const auto latency_count = cluster::detail::get_u64(end.data() + 16);
    const auto records_bytes = size - fixed;
    // Counts are checked by division, so that a forged count cannot overflow the product.
    if (persistence_count > records_bytes / cluster::handover_record_bytes ||
        (records_bytes - persistence_count * cluster::handover_record_bytes) /
                cluster::latency_record_bytes !=
            latency_count ||
        (records_bytes - persistence_count * cluster::handover_record_bytes) %
                cluster::latency_record_bytes !=
            0) {
        result.error =
            describe(path, "its size (" + std::to_string(size) + " bytes) does not match the " +
                               std::to_string(persistence_count) + " persistence and " +
                               std::to_string(latency_count) + " latency records it says it holds");
        result.damaged = true;
        return result;
    }
    // First the checksum over everything, then the records: nothing is taken from a damaged file.
    std::vector<std::uint8_t> piece(piece_bytes);
    crypto::Sha256 hash;
    for (std::uint64_t at = 0; at < size - digest_bytes;) {
        const auto length = static_cast<std::size_t>(
            std::min<std::uint64_t>(piece.size(), size - digest_bytes - at));
        if (auto failure = file.read_at(at, piece.data(), length)) {
            result.error = describe(path, *failure);
            return result;
        }
        hash.add(as_text(piece.data(), length));
        at += length;
    }
    if (const auto digest = hash.finish();
        !std::equal(digest.begin(), digest.end(), end.begin() + trailer_bytes)) {
        result.error = describe(path, "its checksum does not match: the file is damaged");
        result.damaged = true;
        return result;
    }
    // The file was read whole a moment ago, so this second pass fails only if the file changed
    // or the disk failed in between; what was taken before such a failure stays taken.
    const auto now_s = static_cast<std::uint32_t>(now_ms / 1000);
    std::optional<std::string> failure;
    const auto each_record = [&](std::uint64_t first, std::uint64_t count, std::size_t record_bytes,
                                 const auto& take) {
        for (std::uint64_t done = 0; done < count;) {
            const auto in_piece =
                std::min<std::uint64_t>(count - done, piece.size() / record_bytes);
            failure =
                file.read_at(first + done * record_bytes, piece.data(), in_piece * record_bytes);
            if (failure) return false;
            for (std::uint64_t i = 0; i < in_piece; ++i) take(piece.data() + i * record_bytes);
            done += in_piece;
        }
        return true;
    };
    const bool read =
        each_record(magic.size(), persistence_count, cluster::handover_record_bytes,
                    [&](const std::uint8_t* at) {
                        const auto held = cluster::get_persistence_record(at);
                        if (persistence.adopt(held.domain, held.client_key, held.candidate,
                                              held.expires_at_ms, now_ms))
                            ++result.persistence;
                    }) &&
        each_record(
            magic.size() + persistence_count * cluster::handover_record_bytes, latency_count,
            cluster::latency_record_bytes, [&](const std::uint8_t* at) {
                const auto record = cluster::get_latency_record(at);
                if (record.measured_at_s < latency_since_s) return;
                if (serving.adopt_latency(latency, record, now_s)) ++result.latency;
            });
    if (!read) result.error = describe(path, failure.value_or("cannot read"));
    return result;
}

}  // namespace udn::dns::server
