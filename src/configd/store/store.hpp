// The node's versioned configuration store under <state-dir>/configd/:
//   current.toml (+ current.meta.json)    the committed file, exactly as signed
//   versions/<version>.toml (+ .meta.json) the last keep_versions committed files, for rollback
//   pending/<push_id>.toml (+ .meta.json)  prepared but not yet committed pushes
//   seen_push_ids                          push ids aborted (written at each abort) and committed
//                                          (written with the next abort: the version check
//                                          already refuses a committed push's replay)
// Every write is atomic (atomic_file.hpp). A commit renames the pending pair into versions/ and
// makes current.* hard links to it: committed files are never written in place, so the links
// are safe. Not thread-safe: the daemon serialises access.
#pragma once
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "configd/signing/envelope.hpp"

namespace udn::configd::store {

class Store {
public:
    Store(std::filesystem::path directory, std::uint32_t keep_versions);

    // Creates the directories; copies `initial_file` to current.toml when nothing is committed
    // yet. Throws std::runtime_error on I/O failure (start-up path).
    void open(const std::filesystem::path& initial_file);

    const std::filesystem::path& directory() const { return directory_; }
    std::filesystem::path current_path() const { return directory_ / "current.toml"; }
    std::string committed_file() const;
    // The signed envelope of the committed file; nullopt for the initial, unsigned copy.
    std::optional<SignedConfig> committed_signed() const;

    bool seen(const std::string& push_id) const;
    // Error or nullopt. `sha256_hex` of the file when the caller has it already (else computed).
    std::optional<std::string> prepare(const SignedConfig& config, const std::string& sha256_hex = {});
    std::optional<SignedConfig> pending(const std::string& push_id) const;
    // The version a pending push was signed as, from its meta file alone (no 1 MB read).
    std::optional<std::uint64_t> pending_version(const std::string& push_id) const;
    std::optional<std::string> commit(const std::string& push_id);
    void abort(const std::string& push_id);

    std::vector<std::uint64_t> kept_versions() const;  // ascending
    std::optional<SignedConfig> kept_version(std::uint64_t version) const;
    void set_keep_versions(std::uint32_t keep_versions) { keep_versions_ = keep_versions; }

private:
    std::optional<SignedConfig> read_pair(const std::filesystem::path& toml) const;
    std::optional<std::string> write_pair(const std::filesystem::path& toml, const SignedConfig& config,
                                          const std::string& sha256_hex) const;
    std::optional<std::uint64_t> meta_version(const std::filesystem::path& toml) const;
    std::optional<std::string> link_atomically(const std::filesystem::path& source,
                                               const std::filesystem::path& target) const;
    void remember(const std::string& push_id);       // in memory
    std::optional<std::string> persist_seen() const;  // to seen_push_ids
    void prune(std::uint64_t committed_version);

    std::filesystem::path directory_;
    std::uint32_t keep_versions_;
    std::deque<std::string> seen_push_ids_;
};

bool is_valid_push_id(const std::string& push_id);

}  // namespace udn::configd::store
