#include "configd/store/store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "configd/store/atomic_file.hpp"

namespace udn::configd::store {

namespace fs = std::filesystem;

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
    if (meta.value("sha256", std::string{}) != sha256_hex(config.file_bytes)) return std::nullopt;
    return config;
}

std::optional<std::string> Store::write_pair(const fs::path& toml, const SignedConfig& config) const {
    const nlohmann::json meta = {{"version", config.version},
                                 {"key_name", config.key_name},
                                 {"push_id", config.push_id},
                                 {"signature", signing::base64_encode(config.signature)},
                                 {"sha256", sha256_hex(config.file_bytes)}};
    if (auto failure = write_file_atomically(toml, config.file_bytes)) return failure;
    return write_file_atomically(meta_path(toml), meta.dump(2) + "\n");
}

std::optional<SignedConfig> Store::committed_signed() const {
    if (auto config = read_pair(current_path())) return config;
    // current.toml was replaced but its meta not yet: the same bytes are kept under versions/.
    const auto bytes = committed_file();
    const auto digest = sha256_hex(bytes);
    for (const auto version : kept_versions()) {
        auto kept = kept_version(version);
        if (kept && sha256_hex(kept->file_bytes) == digest) return kept;
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
    std::string text;
    for (const auto& id : seen_push_ids_) text += id + "\n";
    (void)write_file_atomically(directory_ / "seen_push_ids", text);
}

std::optional<std::string> Store::prepare(const SignedConfig& config) {
    if (!is_valid_push_id(config.push_id)) return "malformed push id";
    return write_pair(directory_ / "pending" / (config.push_id + ".toml"), config);
}

std::optional<SignedConfig> Store::pending(const std::string& push_id) const {
    if (!is_valid_push_id(push_id)) return std::nullopt;
    return read_pair(directory_ / "pending" / (push_id + ".toml"));
}

std::optional<std::string> Store::commit(const std::string& push_id) {
    const auto config = pending(push_id);
    if (!config) return "no prepared configuration for push " + push_id;
    if (auto failure = write_pair(directory_ / "versions" / (std::to_string(config->version) + ".toml"), *config)) {
        return failure;
    }
    if (auto failure = write_pair(current_path(), *config)) return failure;
    remember(push_id);
    std::error_code ignored;
    fs::remove(directory_ / "pending" / (push_id + ".toml"), ignored);
    fs::remove(directory_ / "pending" / (push_id + ".meta.json"), ignored);
    prune();
    return std::nullopt;
}

void Store::abort(const std::string& push_id) {
    if (!is_valid_push_id(push_id)) return;
    remember(push_id);
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

void Store::prune() {
    const auto versions = kept_versions();
    std::error_code ignored;
    for (std::size_t i = 0; i + keep_versions_ < versions.size(); ++i) {
        const auto base = directory_ / "versions" / std::to_string(versions[i]);
        fs::remove(base.string() + ".toml", ignored);
        fs::remove(base.string() + ".meta.json", ignored);
    }
    // Pending pushes that can no longer be committed (older than what is committed) are dropped.
    const auto committed = committed_signed();
    if (!committed) return;
    for (const auto& entry : fs::directory_iterator(directory_ / "pending", ignored)) {
        if (entry.path().extension() != ".toml") continue;
        const auto config = read_pair(entry.path());
        if (!config || config->version <= committed->version) {
            fs::remove(entry.path(), ignored);
            fs::remove(meta_path(entry.path()), ignored);
        }
    }
}

}  // namespace udn::configd::store
