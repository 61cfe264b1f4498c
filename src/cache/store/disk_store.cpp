// Checksummed, crash-safe disk tier; see disk_store.hpp. File layout (little endian):
//   "UDNCACHE" | u32 version=1 | 32-byte SHA-256 of everything after it |
//   u32 key_bytes | u32 meta_bytes | u64 body_bytes | key | meta (JSON) | body
#include "cache/store/disk_store.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "common/crypto/sha256.hpp"
#include "common/runtime/thread_name.hpp"

namespace udn::cache::store {

namespace {

constexpr std::string_view magic = "UDNCACHE";
constexpr std::uint32_t format_version = 1;
constexpr std::size_t digest_offset = 12;
constexpr std::size_t header_bytes = digest_offset + crypto::sha256_bytes + 16;

template <class T>
void put(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

template <class T>
T get(std::string_view in, std::size_t offset) {
    T value;
    std::memcpy(&value, in.data() + offset, sizeof(T));
    return value;
}

nlohmann::json meta_to_json(const ObjectMeta& meta) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [name, value] : meta.fields()) headers.push_back({name, value});
    return {{"status", meta.status},
            {"headers", headers},
            {"etag", meta.etag()},
            {"last_modified", meta.last_modified()},
            {"vary", meta.vary()},
            {"variant", meta.variant()},
            {"request_time_s", static_cast<std::int64_t>(meta.request_time_s)},
            {"response_time_s", static_cast<std::int64_t>(meta.response_time_s)},
            {"corrected_initial_age_s", static_cast<std::int64_t>(meta.corrected_initial_age_s)},
            {"lifetime_s", static_cast<std::int64_t>(meta.lifetime_s)},
            {"stale_while_revalidate_s", static_cast<std::int64_t>(meta.stale_while_revalidate_s)},
            {"stale_if_error_s", static_cast<std::int64_t>(meta.stale_if_error_s)},
            {"must_revalidate", meta.must_revalidate},
            {"origin_name", meta.origin_name()}};
}

std::optional<ObjectMeta> meta_from_json(std::string_view text) {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    try {
        ObjectMeta meta;
        HeaderFields fields;
        for (const auto& header : json.at("headers")) {
            fields.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
        }
        meta.set_head(json.at("status").get<int>(), fields);
        meta.set_vary(json.at("vary").get<std::string>());
        meta.set_variant(json.at("variant").get<std::string>());
        meta.request_time_s = json.at("request_time_s").get<std::int64_t>();
        meta.response_time_s = json.at("response_time_s").get<std::int64_t>();
        meta.corrected_initial_age_s = json.at("corrected_initial_age_s").get<std::int64_t>();
        meta.lifetime_s = json.at("lifetime_s").get<std::int64_t>();
        meta.stale_while_revalidate_s = json.at("stale_while_revalidate_s").get<std::int64_t>();
        meta.stale_if_error_s = json.at("stale_if_error_s").get<std::int64_t>();
        meta.must_revalidate = json.at("must_revalidate").get<bool>();
        meta.set_origin_name(json.at("origin_name").get<std::string>());
        if (meta.status < 100 || meta.status > 999) return std::nullopt;
        return meta;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::string DiskStore::file_name_of(std::string_view key) { return crypto::sha256_hex(key); }

std::string DiskStore::encode(std::string_view key, const ObjectMeta& meta, const Body& body) {
    const auto meta_text = meta_to_json(meta).dump();
    std::string payload;
    payload.reserve(16 + key.size() + meta_text.size() + body.size_bytes);
    put<std::uint32_t>(payload, static_cast<std::uint32_t>(key.size()));
    put<std::uint32_t>(payload, static_cast<std::uint32_t>(meta_text.size()));
    put<std::uint64_t>(payload, body.size_bytes);
    payload += key;
    payload += meta_text;
    std::size_t left = body.size_bytes;
    for (const auto& [bytes, capacity] : body.blocks) {
        const auto take = std::min(left, capacity);
        payload.append(bytes.get(), take);
        left -= take;
    }
    std::string file(magic);
    put<std::uint32_t>(file, format_version);
    const auto digest = crypto::sha256(payload);
    file.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    file += payload;
    return file;
}

ObjectPtr DiskStore::decode(std::string_view key, std::string_view file) {
    if (file.size() < header_bytes || file.substr(0, magic.size()) != magic) return nullptr;
    if (get<std::uint32_t>(file, magic.size()) != format_version) return nullptr;
    const auto payload = file.substr(digest_offset + crypto::sha256_bytes);
    const auto digest = crypto::sha256(payload);
    if (std::memcmp(digest.data(), file.data() + digest_offset, digest.size()) != 0) return nullptr;
    const auto key_bytes = get<std::uint32_t>(payload, 0);
    const auto meta_bytes = get<std::uint32_t>(payload, 4);
    const auto body_bytes = get<std::uint64_t>(payload, 8);
    if (std::uint64_t{16} + key_bytes + meta_bytes + body_bytes != payload.size()) return nullptr;
    if (payload.substr(16, key_bytes) != key) return nullptr;  // a hash collision or a moved file
    auto meta = meta_from_json(payload.substr(16 + key_bytes, meta_bytes));
    if (!meta) return nullptr;
    meta->content_length = body_bytes;
    auto body = std::make_shared<Body>();
    if (body_bytes > 0) {
        const auto size = static_cast<std::size_t>(body_bytes);
        const char* from = payload.data() + 16 + key_bytes + meta_bytes;
        body->add_first_block(size);
        std::size_t copied = 0;
        while (true) {
            const auto& [bytes, capacity] = body->blocks.back();
            const auto take = std::min(size - copied, capacity);
            std::memcpy(bytes.get(), from + copied, take);
            copied += take;
            if (copied == size) break;
            body->add_heap_block(std::min<std::size_t>(size - copied, 1 << 20));
        }
        body->size_bytes = size;
    }
    return Object::create_complete(std::move(*meta), std::move(body));
}

DiskStore::DiskStore(DiskStoreSettings settings) : settings_(std::move(settings)) {
    std::filesystem::create_directories(settings_.directory / "objects");
    // Temporary files are writes a crash interrupted: never complete, never renamed, removed.
    std::filesystem::remove_all(settings_.directory / "tmp");
    std::filesystem::create_directories(settings_.directory / "tmp");
    scan();
    writer_ = std::thread([this] {
        runtime::name_this_thread("udn-cache-disk");
        writer_loop();
    });
}

DiskStore::~DiskStore() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
}

std::filesystem::path DiskStore::path_of(const std::string& name) const {
    return settings_.directory / "objects" / name.substr(0, 2) / name;
}

void DiskStore::scan() {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(settings_.directory / "objects", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const auto name = it->path().filename().string();
        const auto size = static_cast<std::size_t>(it->file_size(ec));
        // Only the key is needed for the index (prefix purges); the checksum is verified on read.
        std::ifstream in(it->path(), std::ios::binary);
        std::string head(header_bytes, '\0');
        if (!in.read(head.data(), static_cast<std::streamsize>(head.size())) || head.substr(0, magic.size()) != magic) {
            std::filesystem::remove(it->path(), ec);
            continue;
        }
        const auto key_bytes = get<std::uint32_t>(head, digest_offset + 32);
        std::string key(std::min<std::size_t>(key_bytes, 1 << 16), '\0');
        if (key_bytes > (1 << 16) || !in.read(key.data(), static_cast<std::streamsize>(key.size())) ||
            file_name_of(key) != name) {
            std::filesystem::remove(it->path(), ec);
            continue;
        }
        lru_.push_back(name);
        index_[name] = IndexEntry{std::move(key), size, std::prev(lru_.end())};
        bytes_ += size;
    }
    evict_locked();
}

ObjectPtr DiskStore::load(std::string_view key) {
    const auto name = file_name_of(key);
    {
        std::lock_guard lock(mutex_);
        const auto it = index_.find(name);
        if (it == index_.end()) return nullptr;
        lru_.splice(lru_.begin(), lru_, it->second.position);
        ++stats_.reads;
    }
    std::ifstream in(path_of(name), std::ios::binary);
    std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto object = in.bad() ? nullptr : decode(key, file);
    if (!object) {
        std::lock_guard lock(mutex_);
        ++stats_.corrupt;
        remove_locked(name);
    }
    return object;
}

void DiskStore::store(std::string_view key, ObjectPtr object) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= settings_.max_queue) return;
        queue_.emplace_back(std::string(key), std::move(object));
    }
    wake_.notify_one();
}

void DiskStore::writer_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        auto [key, object] = std::move(queue_.front());
        queue_.pop_front();
        writing_ = true;
        writing_key_ = key;
        writing_cancelled_ = false;
        lock.unlock();
        write_one(key, object);
        lock.lock();
        writing_ = false;
        if (queue_.empty()) drained_.notify_all();
    }
}

void DiskStore::write_one(const std::string& key, const ObjectPtr& object) {
    const auto meta = object->meta();
    if (!meta || object->state() != Object::State::complete) return;
    const auto file = encode(key, *meta, *object->body());
    if (file.size() > settings_.capacity_bytes / 4) return;
    const auto name = file_name_of(key);
    std::string temp_name;
    {
        std::lock_guard lock(mutex_);
        temp_name = name + "." + std::to_string(temp_sequence_++) + ".tmp";
    }
    const auto temp = settings_.directory / "tmp" / temp_name;
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(temp, ec);
            return;
        }
    }
    const auto final_path = path_of(name);
    std::error_code ec;
    std::filesystem::create_directories(final_path.parent_path(), ec);
    std::lock_guard lock(mutex_);
    if (writing_cancelled_) {
        std::filesystem::remove(temp, ec);
        return;
    }
    std::filesystem::rename(temp, final_path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        return;
    }
    if (const auto it = index_.find(name); it != index_.end()) {
        bytes_ -= it->second.bytes;
        lru_.erase(it->second.position);
        index_.erase(it);
    }
    lru_.push_front(name);
    index_[name] = IndexEntry{key, file.size(), lru_.begin()};
    bytes_ += file.size();
    ++stats_.writes;
    evict_locked();
}

void DiskStore::remove_locked(const std::string& name) {
    std::error_code ec;
    std::filesystem::remove(path_of(name), ec);
    const auto it = index_.find(name);
    if (it == index_.end()) return;
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.position);
    index_.erase(it);
}

void DiskStore::evict_locked() {
    while (bytes_ > settings_.capacity_bytes && !lru_.empty()) {
        remove_locked(lru_.back());
        ++stats_.evictions;
    }
}

bool DiskStore::contains(std::string_view key) {
    const auto name = file_name_of(key);
    std::lock_guard lock(mutex_);
    return index_.contains(name);
}

bool DiskStore::erase(std::string_view key) {
    const auto name = file_name_of(key);
    std::lock_guard lock(mutex_);
    // A queued write of the same key must not resurrect it after the purge.
    std::erase_if(queue_, [&](const auto& item) { return item.first == key; });
    if (writing_ && writing_key_ == key) writing_cancelled_ = true;
    const bool present = index_.contains(name);
    remove_locked(name);
    return present;
}

std::size_t DiskStore::erase_prefix(std::string_view prefix) {
    std::lock_guard lock(mutex_);
    std::erase_if(queue_, [&](const auto& item) { return item.first.starts_with(prefix); });
    if (writing_ && writing_key_.starts_with(prefix)) writing_cancelled_ = true;
    std::vector<std::string> doomed;
    for (const auto& [name, entry] : index_) {
        if (entry.key.starts_with(prefix)) doomed.push_back(name);
    }
    for (const auto& name : doomed) remove_locked(name);
    return doomed.size();
}

std::size_t DiskStore::clear() { return erase_prefix(""); }

void DiskStore::drain() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

DiskStoreStats DiskStore::stats() {
    std::lock_guard lock(mutex_);
    auto result = stats_;
    result.objects = index_.size();
    result.bytes = bytes_;
    return result;
}

}  // namespace udn::cache::store
