// Segmented-LRU memory tier; see memory_store.hpp.
#include "cache/store/memory_store.hpp"

#include <random>

namespace udn::cache::store {

namespace {
// Per-entry bookkeeping beyond the object: the map node (key view, entry pointer, cached hash,
// next pointer), its bucket and the entry itself.
constexpr std::size_t entry_overhead_bytes = sizeof(void*) * 6;
}  // namespace

void MemoryStore::Lru::push_newest(Entry* entry) {
    entry->older = newest;
    entry->newer = nullptr;
    if (newest) newest->newer = entry;
    else oldest = entry;
    newest = entry;
    bytes += entry->bytes;
}

void MemoryStore::Lru::unlink(Entry* entry) {
    if (entry->newer) entry->newer->older = entry->older;
    else newest = entry->older;
    if (entry->older) entry->older->newer = entry->newer;
    else oldest = entry->newer;
    entry->newer = entry->older = nullptr;
    bytes -= entry->bytes;
}

MemoryStore::MemoryStore(MemoryStoreSettings settings)
    : settings_(settings),
      shard_capacity_bytes_(settings.capacity_bytes / std::max<std::size_t>(1, settings.shard_count)),
      seed_(std::random_device{}()) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, settings.shard_count); ++i) {
        shards_.push_back(std::make_unique<Shard>());
    }
}

MemoryStore::Shard& MemoryStore::shard_for(std::string_view key) {
    const auto hash = std::hash<std::string_view>{}(key) ^ seed_;
    return *shards_[(hash * 0x9E3779B97F4A7C15ull >> 32) % shards_.size()];
}

std::shared_ptr<Object> MemoryStore::find(std::string_view key) {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
        ++shard.stats.misses;
        return nullptr;
    }
    ++shard.stats.hits;
    Entry* entry = it->second.get();
    if (entry->is_protected) {
        shard.protected_lru.unlink(entry);
        shard.protected_lru.push_newest(entry);
    } else {
        // Second hit: promote to the protected segment; its overflow goes back to probation.
        shard.probation.unlink(entry);
        entry->is_protected = true;
        shard.protected_lru.push_newest(entry);
        const auto protected_limit = static_cast<std::size_t>(shard_capacity_bytes_ * settings_.protected_share);
        while (shard.protected_lru.bytes > protected_limit && shard.protected_lru.oldest != shard.protected_lru.newest) {
            Entry* demoted = shard.protected_lru.oldest;
            shard.protected_lru.unlink(demoted);
            demoted->is_protected = false;
            shard.probation.push_newest(demoted);
        }
    }
    return entry->object;
}

bool MemoryStore::insert(std::string_view key, std::shared_ptr<Object> object) {
    const std::size_t bytes = object->memory_bytes() + key.size() + entry_overhead_bytes;
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    if (const auto it = shard.entries.find(key); it != shard.entries.end()) remove_locked(shard, it->second.get());
    if (bytes > shard_capacity_bytes_ / 2) return false;
    auto entry = std::make_unique<Entry>();
    entry->key = std::string(key);
    entry->object = std::move(object);
    entry->bytes = bytes;
    shard.probation.push_newest(entry.get());
    const std::string_view stable_key = entry->key;
    shard.entries.emplace(stable_key, std::move(entry));
    ++shard.stats.inserts;
    evict_locked(shard);
    return true;
}

void MemoryStore::evict_locked(Shard& shard) {
    while (shard.probation.bytes + shard.protected_lru.bytes > shard_capacity_bytes_) {
        Lru& victims = shard.probation.empty() ? shard.protected_lru : shard.probation;
        if (victims.empty()) return;
        remove_locked(shard, victims.oldest);
        ++shard.stats.evictions;
    }
}

void MemoryStore::remove_locked(Shard& shard, Entry* entry) {
    (entry->is_protected ? shard.protected_lru : shard.probation).unlink(entry);
    shard.entries.erase(std::string_view(entry->key));
}

bool MemoryStore::erase(std::string_view key) {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end()) return false;
    remove_locked(shard, it->second.get());
    return true;
}

std::size_t MemoryStore::erase_prefix(std::string_view prefix) {
    std::size_t removed = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        std::vector<Entry*> doomed;
        for (const auto& [key, entry] : shard->entries) {
            if (key.substr(0, prefix.size()) == prefix) doomed.push_back(entry.get());
        }
        for (Entry* entry : doomed) remove_locked(*shard, entry);
        removed += doomed.size();
        std::erase_if(shard->vary, [&](const auto& item) { return item.first.starts_with(prefix); });
    }
    return removed;
}

std::size_t MemoryStore::clear() { return erase_prefix(""); }

void MemoryStore::set_vary(std::string_view base_key, std::string vary) {
    auto& shard = shard_for(base_key);
    std::lock_guard lock(shard.mutex);
    if (vary.empty()) shard.vary.erase(std::string(base_key));
    else shard.vary[std::string(base_key)] = std::move(vary);
}

std::string MemoryStore::vary_of(std::string_view base_key) {
    auto& shard = shard_for(base_key);
    std::lock_guard lock(shard.mutex);
    if (shard.vary.empty()) return {};
    const auto it = shard.vary.find(std::string(base_key));
    return it == shard.vary.end() ? std::string{} : it->second;
}

MemoryStoreStats MemoryStore::stats() const {
    MemoryStoreStats total;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        total.hits += shard->stats.hits;
        total.misses += shard->stats.misses;
        total.inserts += shard->stats.inserts;
        total.evictions += shard->stats.evictions;
        total.objects += shard->entries.size();
        total.bytes += shard->probation.bytes + shard->protected_lru.bytes;
    }
    return total;
}

}  // namespace udn::cache::store
