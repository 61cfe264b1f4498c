// The memory tier: complete objects by key, bounded in bytes, evicted by segmented LRU (a
// probation segment for objects seen once, a protected segment for objects hit again), so one
// scan of cold URLs cannot flush the working set (docs/cache.md has the measurement). Sharded
// by a seeded hash; each shard has its own lock and counters.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/store/object.hpp"

namespace udn::cache::store {

struct MemoryStoreSettings {
    std::size_t capacity_bytes = 256u << 20;
    std::size_t shard_count = 16;
    double protected_share = 0.8;  // of each shard's bytes
};

struct MemoryStoreStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t inserts = 0;
    std::uint64_t evictions = 0;
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
};

class MemoryStore {
public:
    explicit MemoryStore(MemoryStoreSettings settings = {});

    std::shared_ptr<Object> find(std::string_view key);
    // Stores a complete object (replacing any under the key). Objects bigger than a shard's
    // budget are refused (returns false).
    bool insert(std::string_view key, std::shared_ptr<Object> object);
    bool erase(std::string_view key);
    // Removes every key starting with `prefix`; returns how many.
    std::size_t erase_prefix(std::string_view prefix);
    std::size_t clear();

    // Vary bookkeeping: the request header names a URL's responses vary on ("" when none).
    void set_vary(std::string_view base_key, std::string vary);
    std::string vary_of(std::string_view base_key);

    MemoryStoreStats stats() const;
    std::size_t capacity_bytes() const { return settings_.capacity_bytes; }

private:
    // Each entry is linked into its segment's list through its own pointers (no list node
    // of its own): one allocation per entry besides the map node.
    struct Entry {
        std::string key;
        std::shared_ptr<Object> object;
        std::size_t bytes = 0;
        Entry* newer = nullptr;
        Entry* older = nullptr;
        bool is_protected = false;
    };
    // A segment: entries from most to least recently used.
    struct Lru {
        Entry* newest = nullptr;
        Entry* oldest = nullptr;
        std::size_t bytes = 0;
        bool empty() const { return newest == nullptr; }
        void push_newest(Entry* entry);
        void unlink(Entry* entry);
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string_view, std::unique_ptr<Entry>> entries;  // views into Entry::key
        std::unordered_map<std::string, std::string> vary;
        Lru probation;
        Lru protected_lru;
        MemoryStoreStats stats;
    };

    Shard& shard_for(std::string_view key);
    void remove_locked(Shard& shard, Entry* entry);
    void evict_locked(Shard& shard);

    MemoryStoreSettings settings_;
    std::size_t shard_capacity_bytes_;
    std::uint64_t seed_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace udn::cache::store
