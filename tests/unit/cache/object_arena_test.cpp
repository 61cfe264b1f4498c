// The memory tier's slab arena: classes round little and never down, freed blocks are reused
// by their class, empty slabs go back, the arena outlives its store while objects are read,
// and the store's budget counts the blocks at their class size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/store/memory_store.hpp"
#include "cache/store/object_arena.hpp"

namespace udn::cache::store {
namespace {

struct Orphan {
    void operator()(ObjectArena* arena) const { arena->orphan(); }
};
using ArenaPtr = std::unique_ptr<ObjectArena, Orphan>;

TEST(ObjectArena, ClassesRoundUpByAtMostASixtyFourth) {
    std::size_t previous = 0;
    for (std::size_t bytes = 1; bytes <= ObjectArena::max_block_bytes; ++bytes) {
        const auto rounded = ObjectArena::block_bytes_for(bytes);
        ASSERT_GE(rounded, bytes) << bytes;
        ASSERT_EQ(rounded % 16, 0u) << bytes;
        ASSERT_LE(rounded, std::max<std::size_t>(bytes + 15, bytes + bytes / 64)) << bytes;
        ASSERT_GE(rounded, previous) << bytes;
        previous = rounded;
    }
    EXPECT_EQ(ObjectArena::block_bytes_for(ObjectArena::max_block_bytes + 1), ObjectArena::max_block_bytes + 1);
}

TEST(ObjectArena, BlocksAreDistinctWritableAndReused) {
    ArenaPtr arena(ObjectArena::create());
    EXPECT_EQ(arena->allocate(ObjectArena::max_block_bytes + 1), nullptr);
    std::vector<std::pair<char*, std::size_t>> blocks;
    // Several classes, more blocks than one slab holds.
    for (std::size_t i = 0; i < 600; ++i) {
        const std::size_t bytes = 40 + (i % 7) * 700;
        auto* block = static_cast<char*>(arena->allocate(bytes));
        ASSERT_NE(block, nullptr);
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(block) % 16, 0u);
        std::memset(block, static_cast<int>(i), bytes);
        blocks.emplace_back(block, bytes);
    }
    std::sort(blocks.begin(), blocks.end());
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        ASSERT_LE(blocks[i - 1].first + blocks[i - 1].second, blocks[i].first) << "blocks overlap";
    }
    const auto full = arena->stats();
    EXPECT_EQ(full.blocks, 600u);
    EXPECT_GE(full.slab_bytes, full.block_bytes);

    // A freed block is the next one its class hands out; the slabs stay.
    char* freed = blocks[100].first;
    const std::size_t freed_bytes = blocks[100].second;
    ObjectArena::deallocate(freed);
    EXPECT_EQ(arena->allocate(freed_bytes), freed);
    EXPECT_EQ(arena->stats().slab_bytes, full.slab_bytes);

    // All freed: at most kept_empty_slabs remain mapped.
    for (const auto& [block, bytes] : blocks) ObjectArena::deallocate(block);
    const auto empty = arena->stats();
    EXPECT_EQ(empty.blocks, 0u);
    EXPECT_EQ(empty.block_bytes, 0u);
    EXPECT_LE(empty.slab_bytes, ObjectArena::kept_empty_slabs * ObjectArena::slab_bytes);
}

TEST(ObjectArena, FreesFromOtherThreads) {
    ArenaPtr arena(ObjectArena::create());
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; ++i) blocks.push_back(arena->allocate(1400));
    std::thread other([&] {
        for (std::size_t i = 0; i < blocks.size(); i += 2) ObjectArena::deallocate(blocks[i]);
    });
    for (std::size_t i = 1; i < blocks.size(); i += 2) ObjectArena::deallocate(blocks[i]);
    other.join();
    EXPECT_EQ(arena->stats().blocks, 0u);
}

TEST(ObjectArena, StoredObjectsOutliveTheirStore) {
    ObjectPtr kept;
    {
        MemoryStore store(MemoryStoreSettings{1u << 20, 2});
        ObjectMeta meta;
        meta.set_head(200, {{"Content-Type", "text/plain"}});
        auto object = Object::create();
        object->set_head(meta, 5);
        object->append(std::span<const char>("hello", 5));
        object->finish();
        ASSERT_TRUE(store.insert("site/a", object));
        kept = store.find("site/a");
        ASSERT_TRUE(kept);
        EXPECT_GT(store.stats().arena_bytes, 0u);
    }
    // The arena (and the block) live on until this last reference goes.
    EXPECT_EQ(kept->stored_key(), "site/a");
    std::vector<std::span<const char>> views;
    EXPECT_EQ(kept->body_views(0, 5, views), 5u);
    EXPECT_EQ(std::string(views.front().data(), views.front().size()), "hello");
    EXPECT_EQ(kept->meta()->head_block(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
}

TEST(ObjectArena, BudgetCountsBlocksAtTheirClassSize) {
    MemoryStore store(MemoryStoreSettings{64u << 20, 1});
    ObjectMeta meta;
    meta.set_head(200, {{"Content-Type", "text/plain"}});
    const std::string body(1000, 'b');
    std::size_t class_bytes = 0;
    for (int i = 0; i < 100; ++i) {
        auto object = Object::create();
        object->set_head(meta, body.size());
        object->append(std::span<const char>(body.data(), body.size()));
        object->finish();
        const std::string key = "site/" + std::to_string(i);
        ASSERT_TRUE(store.insert(key, object));
        class_bytes += store.find(key)->memory_bytes();
    }
    const auto stats = store.stats();
    EXPECT_EQ(stats.objects, 100u);
    EXPECT_EQ(stats.bytes, class_bytes + 100 * 2 * sizeof(void*));  // plus each object's index share
    EXPECT_GE(stats.arena_bytes, class_bytes);
    EXPECT_GT(class_bytes, 100 * (body.size() + meta.head_block().size()));
    // Hits in the protected segment move objects without recounting them: the total holds.
    for (int round = 0; round < 2; ++round) {
        for (int i = 99; i >= 0; i -= 3) ASSERT_TRUE(store.find("site/" + std::to_string(i)));
    }
    EXPECT_EQ(store.stats().bytes, stats.bytes);
    EXPECT_EQ(store.stats().objects, 100u);
}

// Vary, variant and origin name lengths are kept in 16 bits: what does not fit must not make a
// response reusable for requests it was not selected by.
TEST(ObjectArena, OverlongSelectionIsNeverReusable) {
    ObjectMeta meta;
    meta.set_head(200, {{"Vary", "accept"}});
    meta.set_vary("accept");
    meta.set_variant(std::string(70000, 'v'));
    EXPECT_EQ(meta.vary(), "*");
    EXPECT_EQ(meta.variant(), "");
    meta.set_vary(std::string(70000, 'a'));
    EXPECT_EQ(meta.vary(), "*");
    meta.set_origin_name(std::string(70000, 'o'));
    EXPECT_EQ(meta.origin_name().size(), 65535u);
    EXPECT_EQ(meta.head_block(), "HTTP/1.1 200 OK\r\nVary: accept\r\n");
    const std::string long_value(100000, 'x');
    meta.set_head(200, {{"X-Long", long_value}});
    EXPECT_EQ(meta.head_block().size(), 17 + 8 + long_value.size() + 2);
    EXPECT_EQ(meta.vary(), "*");
}

}  // namespace
}  // namespace udn::cache::store
