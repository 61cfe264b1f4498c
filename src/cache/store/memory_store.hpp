// The memory tier: complete objects by key, bounded in bytes, evicted by segmented LRU (a
// probation segment for objects seen once, a protected segment for objects hit again), so one
// scan of cold URLs cannot flush the working set (docs/cache.md has the measurement). Sharded
// by a seeded hash; each shard has its own lock, counters and open-addressing index. Each
// stored object is one block (key, links, metadata and small body inside it) from the store's
// own ObjectArena, apart from the heap the requests use.
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
    std::uint64_t bytes = 0;        // what the budget counts: blocks at their class size, index share
    std::uint64_t arena_bytes = 0;       // slabs the store's arena holds (blocks in use, free, uncarved)
    std::uint64_t arena_used_bytes = 0;  // of those, the blocks in use, at their class size
};

class MemoryStore {
public:
    explicit MemoryStore(MemoryStoreSettings settings = {});

    ObjectPtr find(std::string_view key);
    // Stores a compact copy of a complete object (replacing any under the key): one allocation
    // per object (see Object::compact_copy). Objects not complete, and objects bigger than half
    // a shard's budget, are refused (returns false).
    bool insert(std::string_view key, const ObjectPtr& object);
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
    // A segment: objects from most to least recently used, linked through the objects' own
    // newer_/older_ pointers.
    struct Lru {
        Object* newest = nullptr;
        Object* oldest = nullptr;
        std::size_t bytes = 0;
        bool empty() const { return newest == nullptr; }
    };
    // Open addressing with linear probing: a slot is a stored object (it holds the store's
    // reference and, behind it, the key compared on lookup) or null. At most 3/4 full; a
    // removal shifts later slots back instead of leaving a tombstone.
    struct Index {
        std::vector<ObjectPtr> slots = std::vector<ObjectPtr>(16);
        std::size_t count = 0;
    };
    struct Shard {
        std::mutex mutex;
        Index index;
        std::unordered_map<std::string, std::string> vary;
        Lru probation;
        Lru protected_lru;
        MemoryStoreStats stats;
    };

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // The list alone; push_newest and unlink also count the object's bytes in or out.
    static void link_newest(Lru& lru, Object* object);
    static void unlink_only(Lru& lru, Object* object);
    static void push_newest(Lru& lru, Object* object);
    static void unlink(Lru& lru, Object* object);
    // What an object costs the budget: its allocation(s) and its share of the index.
    static std::size_t budget_bytes(const Object& object);
    static std::size_t find_slot(const Index& index, std::string_view key, std::uint32_t key_hash);
    static void place(Index& index, ObjectPtr object);

    std::uint64_t hash_of(std::string_view key) const;
    Shard& shard_for(std::uint64_t hash);
    void remove_locked(Shard& shard, std::size_t slot);
    void evict_locked(Shard& shard);

    struct OrphanArena {
        void operator()(ObjectArena* arena) const { arena->orphan(); }
    };

    MemoryStoreSettings settings_;
    std::unique_ptr<ObjectArena, OrphanArena> arena_{ObjectArena::create()};
    std::size_t shard_capacity_bytes_;
    std::uint64_t seed_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace udn::cache::store
