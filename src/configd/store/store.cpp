#include "configd/store/store.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/crypto/sha256.hpp"
#include "common/runtime/atomic_file.hpp"

namespace udn::configd::store {

namespace fs = std::filesystem;
using runtime::read_file;
using runtime::sync_directory;
using runtime::write_file_atomically;
using runtime::write_files_atomically;

namespace {

// Enough to recognise every replay of a recent push; older ids also fail the version check.
constexpr std::size_t max_seen_push_ids = 1000;

fs::path meta_path(const fs::path& toml) {
    auto path = toml;
    path.replace_extension(".meta.json");
    return path;
}

}  // namespace

bool is_valid_push_id(const std::string& push_id) {
    return push_id.size() == 32 &&
           std::all_of(push_id.begin(), push_id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Store::Store(fs::path directory, std::uint32_t keep_versions)
    : directory_(std::move(directory)), keep_versions_(std::max<std::uint32_t>(keep_versions, 1)) {}

void Store::open(const fs::path& initial_file) {
    std::error_code error;
    for (const auto* sub : {"", "versions", "pending"}) {
        fs::create_directories(directory_ / sub, error);
        if (error) throw std::runtime_error("cannot create " + (directory_ / sub).string() + ": " + error.message());
    }
    if (!fs::exists(current_path())) {
        const auto bytes = read_file(initial_file);
        if (!bytes) throw std::runtime_error("cannot read the configuration file " + initial_file.string());
        if (auto failure = write_file_atomically(current_path(), *bytes)) throw std::runtime_error(*failure);
    }
    if (const auto seen = read_file(directory_ / "seen_push_ids")) {
        std::size_t start = 0;
        while (start < seen->size()) {
            const auto end = std::min(seen->find('\n', start), seen->size());
            std::string id = seen->substr(start, end - start);
            if (is_valid_push_id(id)) seen_push_ids_.push_back(std::move(id));
            start = end + 1;
        }
    }
}

std::string Store::committed_file() const { return read_file(current_path()).value_or(std::string{}); }

std::optional<SignedConfig> Store::read_pair(const fs::path& toml) const {
    const auto bytes = read_file(toml);
    const auto meta_text = read_file(meta_path(toml));
    if (!bytes || !meta_text) return std::nullopt;
    const auto meta = nlohmann::json::parse(*meta_text, nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) return std::nullopt;
    SignedConfig config;
    config.version = meta.value("version", std::uint64_t{0});
    config.key_name = meta.value("key_name", std::string{});
    config.push_id = meta.value("push_id", std::string{});
    config.signature = signing::base64_decode(meta.value("signature", std::string{})).value_or(std::string{});
    config.file_bytes = *bytes;
    // A crash between the two renames of a commit leaves a meta file describing other bytes.
    if (meta.value("sha256", std::string{}) != crypto::sha256_hex(config.file_bytes)) return std::nullopt;
    return config;
}

std::optional<std::string> Store::write_pair(const fs::path& toml, const SignedConfig& config,
                                             const std::string& sha256) const {
    const nlohmann::json meta = {{"version", config.version},
                                 {"key_name", config.key_name},
                                 {"push_id", config.push_id},
                                 {"signature", signing::base64_encode(config.signature)},
                                 {"sha256", sha256.empty() ? crypto::sha256_hex(config.file_bytes) : sha256}};
    const auto meta_text = meta.dump(2) + "\n";
    // The file before its meta: a meta file always describes bytes already in place.
    return write_files_atomically(toml.parent_path(), {{toml.filename().string(), config.file_bytes},
                                                       {meta_path(toml).filename().string(), meta_text}});
}

std::optional<SignedConfig> Store::committed_signed() const {
    if (auto config = read_pair(current_path())) return config;
    // current.toml was replaced but its meta not yet: the same bytes are kept under versions/.
    const auto bytes = committed_file();
    const auto digest = crypto::sha256_hex(bytes);
    for (const auto version : kept_versions()) {
        auto kept = kept_version(version);
        if (kept && crypto::sha256_hex(kept->file_bytes) == digest) return kept;
    }
    return std::nullopt;
}

bool Store::seen(const std::string& push_id) const {
    return std::find(seen_push_ids_.begin(), seen_push_ids_.end(), push_id) != seen_push_ids_.end();
}

void Store::remember(const std::string& push_id) {
    if (seen(push_id)) return;
    seen_push_ids_.push_back(push_id);
    while (seen_push_ids_.size() > max_seen_push_ids) seen_push_ids_.pop_front();
}

std::optional<std::string> Store::persist_seen() const {
    std::string text;
    for (const auto& id : seen_push_ids_) text += id + "\n";
    return write_file_atomically(directory_ / "seen_push_ids", text);
}

std::optional<std::string> Store::prepare(const SignedConfig& config, const std::string& sha256) {
    if (!is_valid_push_id(config.push_id)) return "malformed push id";
    return write_pair(directory_ / "pending" / (config.push_id + ".toml"), config, sha256);
}

std::optional<SignedConfig> Store::pending(const std::string& push_id) const {
    if (!is_valid_push_id(push_id)) return std::nullopt;
    return read_pair(directory_ / "pending" / (push_id + ".toml"));
}

std::optional<std::uint64_t> Store::pending_version(const std::string& push_id) const {
    if (!is_valid_push_id(push_id)) return std::nullopt;
    const auto toml = directory_ / "pending" / (push_id + ".toml");
    std::error_code missing;
    if (!fs::exists(toml, missing)) return std::nullopt;
    return meta_version(toml);
}

std::optional<std::uint64_t> Store::meta_version(const fs::path& toml) const {
    const auto meta_text = read_file(meta_path(toml));
    if (!meta_text) return std::nullopt;
    const auto meta = nlohmann::json::parse(*meta_text, nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) return std::nullopt;
    const auto it = meta.find("version");
    if (it == meta.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
}

// No byte of the file is copied: the pending pair is renamed into versions/ and current.* become
// hard links to it. Two fsyncs in all (versions/ and the store directory): the pending pair's
// data was fsynced when it was prepared, and its meta names the file's SHA-256.
std::optional<std::string> Store::commit(const std::string& push_id) {
    // The meta is renamed into place after the file it describes, so it names complete bytes.
    const auto version = pending_version(push_id);
    if (!version) return "no prepared configuration for push " + push_id;
    const auto pending_toml = directory_ / "pending" / (push_id + ".toml");
    const auto kept_toml = directory_ / "versions" / (std::to_string(*version) + ".toml");
    for (const auto& [from, to] : {std::pair{pending_toml, kept_toml}, std::pair{meta_path(pending_toml), meta_path(kept_toml)}}) {
        if (::rename(from.c_str(), to.c_str()) != 0) {
            return "cannot move " + from.string() + " to " + to.string() + ": " + std::strerror(errno);
        }
    }
    if (auto failure = sync_directory(directory_ / "versions")) return failure;
    // current.toml before current.meta.json, as committed_signed() expects after a crash.
    for (const auto& [kept, current] : {std::pair{kept_toml, current_path()}, std::pair{meta_path(kept_toml), meta_path(current_path())}}) {
        if (auto failure = link_atomically(kept, current)) return failure;
    }
    // The committed id needs no fsync of its own: a replay of it is refused by its version,
    // which is now the committed one. It reaches the file with the next abort.
    remember(push_id);
    if (auto failure = sync_directory(directory_)) return failure;
    prune(*version);
    return std::nullopt;
}

// Replaces `target` with a hard link to `source` (a copy where the file system has no links).
std::optional<std::string> Store::link_atomically(const fs::path& source, const fs::path& target) const {
    const auto temporary = target.parent_path() / ("." + target.filename().string() + ".tmp");
    ::unlink(temporary.c_str());
    if (::link(source.c_str(), temporary.c_str()) != 0) {
        const auto bytes = read_file(source);
        if (!bytes) return "cannot read " + source.string() + ": " + std::strerror(errno);
        return write_files_atomically(target.parent_path(), {{target.filename().string(), *bytes}}, false);
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
        auto error = "cannot rename onto " + target.string() + ": " + std::strerror(errno);
        ::unlink(temporary.c_str());
        return error;
    }
    return std::nullopt;
}

void Store::abort(const std::string& push_id) {
    if (!is_valid_push_id(push_id)) return;
    // An aborted push's version may still be above the committed one: only this file refuses
    // its replay, so it is durable before the abort is acknowledged.
    remember(push_id);
    (void)persist_seen();
    std::error_code ignored;
    fs::remove(directory_ / "pending" / (push_id + ".toml"), ignored);
    fs::remove(directory_ / "pending" / (push_id + ".meta.json"), ignored);
}

std::vector<std::uint64_t> Store::kept_versions() const {
    std::vector<std::uint64_t> versions;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory_ / "versions", error)) {
        const auto name = entry.path().filename().string();
        if (name.size() <= 5 || name.substr(name.size() - 5) != ".toml") continue;
        const auto stem = name.substr(0, name.size() - 5);
        if (stem.empty() || !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        if (stem.size() > 19) continue;
        versions.push_back(std::stoull(stem));
    }
    std::sort(versions.begin(), versions.end());
    return versions;
}

std::optional<SignedConfig> Store::kept_version(std::uint64_t version) const {
    return read_pair(directory_ / "versions" / (std::to_string(version) + ".toml"));
}

void Store::prune(std::uint64_t committed_version) {
    const auto versions = kept_versions();
    std::error_code ignored;
    for (std::size_t i = 0; i + keep_versions_ < versions.size(); ++i) {
        // Unlinks only: current.toml, a link to the newest, keeps its bytes.
        const auto base = directory_ / "versions" / std::to_string(versions[i]);
        fs::remove(base.string() + ".toml", ignored);
        fs::remove(base.string() + ".meta.json", ignored);
    }
    // Pending pushes that can no longer be committed (not newer than what is committed) are dropped.
    for (const auto& entry : fs::directory_iterator(directory_ / "pending", ignored)) {
        if (entry.path().extension() != ".toml") continue;
        const auto version = meta_version(entry.path());
        if (!version || *version <= committed_version) {
            fs::remove(entry.path(), ignored);
            fs::remove(meta_path(entry.path()), ignored);
        }
    }
}

}  // namespace udn::configd::store
