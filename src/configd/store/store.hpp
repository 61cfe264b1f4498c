// The node's versioned configuration store under <state-dir>/configd/:
//   current.toml (+ current.meta.json)    the committed file, exactly as signed
//   versions/<version>.toml (+ .meta.json) the last keep_versions committed files, for rollback
//   pending/<push_id>.toml (+ .meta.json)  prepared but not yet committed pushes
//   seen_push_ids                          push ids already committed or aborted (replay guard)
// Every write is atomic (atomic_file.hpp). Not thread-safe: the daemon serialises access.
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
    std::optional<std::string> prepare(const SignedConfig& config);  // error or nullopt
    std::optional<SignedConfig> pending(const std::string& push_id) const;
    std::optional<std::string> commit(const std::string& push_id);
    void abort(const std::string& push_id);

    std::vector<std::uint64_t> kept_versions() const;  // ascending
    std::optional<SignedConfig> kept_version(std::uint64_t version) const;
    void set_keep_versions(std::uint32_t keep_versions) { keep_versions_ = keep_versions; }

private:
    std::optional<SignedConfig> read_pair(const std::filesystem::path& toml) const;
    std::optional<std::string> write_pair(const std::filesystem::path& toml, const SignedConfig& config) const;
    void remember(const std::string& push_id);
    void prune();

    std::filesystem::path directory_;
    std::uint32_t keep_versions_;
    std::deque<std::string> seen_push_ids_;
};

bool is_valid_push_id(const std::string& push_id);

}  // namespace udn::configd::store
