// Segmented-LRU memory tier; see memory_store.hpp.
#include "cache/store/memory_store.hpp"

#include <algorithm>
#include <random>

namespace udn::cache::store {

namespace {
// An index slot per object at the lowest load (3/8 after growing) is 8/0.375 bytes; two
// pointers cover the average (load between 3/8 and 3/4).
constexpr std::size_t index_bytes_per_object = 2 * sizeof(void*);
}  // namespace

void MemoryStore::link_newest(Lru& lru, Object* object) {
    object->older_ = lru.newest;
    object->newer_ = nullptr;
    if (lru.newest) lru.newest->newer_ = object;
    else lru.oldest = object;
    lru.newest = object;
}

void MemoryStore::unlink_only(Lru& lru, Object* object) {
    if (object->newer_) object->newer_->older_ = object->older_;
    else lru.newest = object->older_;
    if (object->older_) object->older_->newer_ = object->newer_;
    else lru.oldest = object->newer_;
    object->newer_ = object->older_ = nullptr;
}

void MemoryStore::push_newest(Lru& lru, Object* object) {
    link_newest(lru, object);
    lru.bytes += budget_bytes(*object);
}

void MemoryStore::unlink(Lru& lru, Object* object) {
    unlink_only(lru, object);
    lru.bytes -= budget_bytes(*object);
}

std::size_t MemoryStore::budget_bytes(const Object& object) { return object.memory_bytes() + index_bytes_per_object; }

MemoryStore::MemoryStore(MemoryStoreSettings settings)
    : settings_(settings),
      shard_capacity_bytes_(settings.capacity_bytes / std::max<std::size_t>(1, settings.shard_count)),
      seed_(std::random_device{}()) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, settings.shard_count); ++i) {
        shards_.push_back(std::make_unique<Shard>());
    }
}

std::uint64_t MemoryStore::hash_of(std::string_view key) const { return std::hash<std::string_view>{}(key) ^ seed_; }

// The shard comes from the hash's high bits (after mixing), the slot from its low 32 bits.
MemoryStore::Shard& MemoryStore::shard_for(std::uint64_t hash) {
    return *shards_[(hash * 0x9E3779B97F4A7C15ull >> 32) % shards_.size()];
}

std::size_t MemoryStore::find_slot(const Index& index, std::string_view key, std::uint32_t key_hash) {
    const std::size_t mask = index.slots.size() - 1;
    for (std::size_t slot = key_hash & mask;; slot = (slot + 1) & mask) {
        const Object* object = index.slots[slot].get();
        if (object == nullptr) return npos;
        if (object->key_hash_ == key_hash && object->stored_key() == key) return slot;
    }
}

void MemoryStore::place(Index& index, ObjectPtr object) {
    const std::size_t mask = index.slots.size() - 1;
    std::size_t slot = object->key_hash_ & mask;
    while (index.slots[slot]) slot = (slot + 1) & mask;
    index.slots[slot] = std::move(object);
}

ObjectPtr MemoryStore::find(std::string_view key) {
    const auto hash = hash_of(key);
    auto& shard = shard_for(hash);
    std::lock_guard lock(shard.mutex);
    const auto slot = find_slot(shard.index, key, static_cast<std::uint32_t>(hash));
    if (slot == npos) {
        ++shard.stats.misses;
        return nullptr;
    }
    ++shard.stats.hits;
    const ObjectPtr& found = shard.index.slots[slot];
    Object* object = found.get();
    // A hit in the protected segment only moves the object to its front: its bytes are not
    // recounted (memory_bytes() on every hit cost ~70 instructions per hit).
    if (object->is_protected_) {
        if (shard.protected_lru.newest != object) {
            unlink_only(shard.protected_lru, object);
            link_newest(shard.protected_lru, object);
        }
    } else {
        // Second hit: promote to the protected segment; its overflow goes back to probation.
        const auto bytes = budget_bytes(*object);
        unlink_only(shard.probation, object);
        shard.probation.bytes -= bytes;
        object->is_protected_ = true;
        link_newest(shard.protected_lru, object);
        shard.protected_lru.bytes += bytes;
        const auto protected_limit = static_cast<std::size_t>(shard_capacity_bytes_ * settings_.protected_share);
        while (shard.protected_lru.bytes > protected_limit && shard.protected_lru.oldest != shard.protected_lru.newest) {
            Object* demoted = shard.protected_lru.oldest;
            unlink(shard.protected_lru, demoted);
            demoted->is_protected_ = false;
            push_newest(shard.probation, demoted);
        }
    }
    return found;
}

bool MemoryStore::insert(std::string_view key, const ObjectPtr& object) {
    if (!object || object->state() != Object::State::complete || object->meta() == nullptr) return false;
    const auto hash = hash_of(key);
    // The copy is made outside the shard's lock.
    auto stored = Object::compact_copy(*object, key, arena_.get());
    stored->key_hash_ = static_cast<std::uint32_t>(hash);
    const std::size_t bytes = budget_bytes(*stored);
    auto& shard = shard_for(hash);
    std::lock_guard lock(shard.mutex);
    if (const auto slot = find_slot(shard.index, key, stored->key_hash_); slot != npos) remove_locked(shard, slot);
    if (bytes > shard_capacity_bytes_ / 2) return false;
    auto& index = shard.index;
    if ((index.count + 1) * 4 > index.slots.size() * 3) {
        std::vector<ObjectPtr> old(index.slots.size() * 2);
        old.swap(index.slots);
        for (auto& item : old) {
            if (item) place(index, std::move(item));
        }
    }
    push_newest(shard.probation, stored.get());
    place(index, std::move(stored));
    ++index.count;
    ++shard.stats.inserts;
    evict_locked(shard);
    return true;
}

void MemoryStore::evict_locked(Shard& shard) {
    while (shard.probation.bytes + shard.protected_lru.bytes > shard_capacity_bytes_) {
        Lru& victims = shard.probation.empty() ? shard.protected_lru : shard.probation;
        if (victims.empty()) return;
        const Object* victim = victims.oldest;
        remove_locked(shard, find_slot(shard.index, victim->stored_key(), victim->key_hash_));
        ++shard.stats.evictions;
    }
}

void MemoryStore::remove_locked(Shard& shard, std::size_t slot) {
    auto& index = shard.index;
    // Held until the end: the object is freed (if no reader holds it) after the index is whole.
    ObjectPtr removed = std::move(index.slots[slot]);
    unlink(removed->is_protected_ ? shard.protected_lru : shard.probation, removed.get());
    --index.count;
    // Backward shift: a later object of the same probe run moves into the hole unless its own
    // home slot lies cyclically after the hole.
    const std::size_t mask = index.slots.size() - 1;
    std::size_t hole = slot;
    for (std::size_t next = (slot + 1) & mask; index.slots[next]; next = (next + 1) & mask) {
        const std::size_t home = index.slots[next]->key_hash_ & mask;
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            index.slots[hole] = std::move(index.slots[next]);
            hole = next;
        }
    }
}

bool MemoryStore::erase(std::string_view key) {
    const auto hash = hash_of(key);
    auto& shard = shard_for(hash);
    std::lock_guard lock(shard.mutex);
    const auto slot = find_slot(shard.index, key, static_cast<std::uint32_t>(hash));
    if (slot == npos) return false;
    remove_locked(shard, slot);
    return true;
}

std::size_t MemoryStore::erase_prefix(std::string_view prefix) {
    std::size_t removed = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        std::vector<ObjectPtr> doomed;
        for (const auto& object : shard->index.slots) {
            if (object && object->stored_key().starts_with(prefix)) doomed.push_back(object);
        }
        for (const auto& object : doomed) {
            remove_locked(*shard, find_slot(shard->index, object->stored_key(), object->key_hash_));
        }
        removed += doomed.size();
        std::erase_if(shard->vary, [&](const auto& item) { return item.first.starts_with(prefix); });
    }
    return removed;
}

std::size_t MemoryStore::clear() { return erase_prefix(""); }

void MemoryStore::set_vary(std::string_view base_key, std::string vary) {
    auto& shard = shard_for(hash_of(base_key));
    std::lock_guard lock(shard.mutex);
    if (vary.empty()) shard.vary.erase(std::string(base_key));
    else shard.vary[std::string(base_key)] = std::move(vary);
}

std::string MemoryStore::vary_of(std::string_view base_key) {
    auto& shard = shard_for(hash_of(base_key));
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
        total.objects += shard->index.count;
        total.bytes += shard->probation.bytes + shard->protected_lru.bytes;
    }
    const auto arena = arena_->stats();
    total.arena_bytes = arena.slab_bytes;
    total.arena_used_bytes = arena.block_bytes;
    return total;
}

}  // namespace udn::cache::store
