// Objects that fill while read, the segmented-LRU memory tier, and the checksummed disk tier.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "cache/store/disk_store.hpp"
#include "cache/store/memory_store.hpp"

namespace udn::cache::store {
namespace {

ObjectPtr make_object(const std::string& body, int status = 200) {
    ObjectMeta meta;
    meta.set_head(status, {{"Content-Type", "text/plain"}, {"ETag", "\"v1\""}});
    meta.lifetime_s = 60;
    auto object = Object::create();
    object->set_head(meta, body.size());
    object->append(std::span<const char>(body.data(), body.size()));
    object->finish();
    return object;
}

std::string body_of(const Object& object) {
    std::vector<std::span<const char>> views;
    object.body_views(0, SIZE_MAX, views);
    std::string result;
    for (const auto& view : views) result.append(view.data(), view.size());
    return result;
}

TEST(Object, StreamsWhileFillingAndWakesWaiters) {
    auto object = Object::create();
    int woken = 0;
    EXPECT_TRUE(object->wait_for_change(0, Object::State::pending, [&] { ++woken; }));
    object->set_head(ObjectMeta(), 0);
    EXPECT_EQ(woken, 1);
    EXPECT_FALSE(object->wait_for_change(0, Object::State::pending, [&] { ++woken; }));
    std::string big(200000, 'x');
    big[199999] = 'y';
    object->append(std::span<const char>(big.data(), 70000));
    object->append(std::span<const char>(big.data() + 70000, big.size() - 70000));
    object->finish();
    EXPECT_EQ(object->state(), Object::State::complete);
    EXPECT_EQ(body_of(*object), big);
    std::vector<std::span<const char>> views;
    EXPECT_EQ(object->body_views(199990, 100, views), 10u);
}

TEST(Object, LargeKnownLengthBodiesLiveInAMemoryFile) {
    std::string big(300000, 'b');
    big[123456] = 'c';
    const auto large = make_object(big);
    EXPECT_GE(large->body()->file_fd, 0);
    EXPECT_TRUE(large->body()->in_file());
    EXPECT_EQ(body_of(*large), big);
    std::string from_file(big.size(), '\0');
    EXPECT_EQ(::pread(large->body()->file_fd, from_file.data(), from_file.size(), 0), static_cast<ssize_t>(big.size()));
    EXPECT_EQ(from_file, big);  // what sendfile(2) sends is what readers see
    const auto small = make_object(std::string(1024, 's'));
    EXPECT_EQ(small->body()->file_fd, -1);
    EXPECT_FALSE(small->body()->in_file());
}

TEST(MemoryStore, FindInsertEraseAndPrefix) {
    MemoryStore store(MemoryStoreSettings{1 << 20, 4});
    store.insert("site/a", make_object("A"));
    store.insert("site/ab", make_object("AB"));
    store.insert("other/a", make_object("O"));
    EXPECT_EQ(body_of(*store.find("site/a")), "A");
    EXPECT_EQ(store.find("site/zz"), nullptr);
    EXPECT_EQ(store.erase_prefix("site/"), 2u);
    EXPECT_EQ(store.find("site/ab"), nullptr);
    EXPECT_NE(store.find("other/a"), nullptr);
    EXPECT_TRUE(store.erase("other/a"));
    EXPECT_EQ(store.stats().objects, 0u);
}

TEST(MemoryStore, StaysWithinBudget) {
    MemoryStore store(MemoryStoreSettings{256 * 1024, 1});
    for (int i = 0; i < 100; ++i) store.insert("k" + std::to_string(i), make_object(std::string(10000, 'x')));
    const auto stats = store.stats();
    EXPECT_LE(stats.bytes, 256u * 1024);
    EXPECT_GT(stats.evictions, 0u);
    EXPECT_NE(store.find("k99"), nullptr);
    EXPECT_EQ(store.find("k0"), nullptr);
}

// The reason for segmented LRU over plain LRU: objects hit twice survive a one-time scan.
TEST(MemoryStore, HotObjectsSurviveAScan) {
    MemoryStore store(MemoryStoreSettings{512 * 1024, 1});
    for (int i = 0; i < 10; ++i) {
        store.insert("hot" + std::to_string(i), make_object(std::string(10000, 'h')));
        store.find("hot" + std::to_string(i));
    }
    for (int i = 0; i < 500; ++i) store.insert("scan" + std::to_string(i), make_object(std::string(10000, 's')));
    for (int i = 0; i < 10; ++i) EXPECT_NE(store.find("hot" + std::to_string(i)), nullptr) << i;
}

TEST(ObjectMeta, HeadBlockIsTheOnlyCopyOfTheFields) {
    ObjectMeta meta;
    meta.set_head(200, {{"Content-Type", "text/plain"}, {"ETag", "\"abc\""}, {"Last-Modified", "Mon, 23 Nov 2026 10:00:00 GMT"}});
    EXPECT_EQ(meta.head_block(),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"abc\"\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n");
    EXPECT_EQ(meta.etag(), "\"abc\"");
    EXPECT_EQ(meta.last_modified(), "Mon, 23 Nov 2026 10:00:00 GMT");
    const auto fields = meta.fields();
    ASSERT_EQ(fields.size(), 3u);
    EXPECT_EQ(fields[1].first, "ETag");
    EXPECT_EQ(fields[2].second, "Mon, 23 Nov 2026 10:00:00 GMT");
    ObjectMeta empty;
    empty.set_head(404, {});
    EXPECT_TRUE(empty.fields().empty());
    EXPECT_TRUE(empty.etag().empty());
}

TEST(MemoryStore, OverheadPerSmallObjectIsBounded) {
    // The store's own estimate must not undercount what an object really costs; the real
    // number (heap growth per object in a running cache) is printed by
    // bench/http/memory_overhead.py and tests/unit/cache/memory_overhead_test.cpp.
    auto object = make_object(std::string(1024, 'x'));
    const auto payload = 1024 + object->meta()->head_block().size();
    EXPECT_GT(object->memory_bytes(), payload);
    EXPECT_LT(object->memory_bytes() - payload, 450u);
}

class DiskStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() / ("udn-disk-test-" + std::to_string(std::random_device{}()));
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::filesystem::path directory_;
};

TEST_F(DiskStoreTest, LargeObjectsComeBackIntoAMemoryFile) {
    std::string big(200000, 'L');
    big[199999] = 'E';
    {
        DiskStore disk(DiskStoreSettings{directory_, 4 << 20});
        disk.store("site/big", make_object(big));
        disk.drain();
    }
    DiskStore disk(DiskStoreSettings{directory_, 4 << 20});
    auto object = disk.load("site/big");
    ASSERT_NE(object, nullptr);
    EXPECT_TRUE(object->body()->in_file());
    EXPECT_EQ(body_of(*object), big);
}

TEST_F(DiskStoreTest, SurvivesRestart) {
    {
        DiskStore disk(DiskStoreSettings{directory_, 1 << 20});
        disk.store("site/a", make_object("hello"));
        disk.drain();
        EXPECT_EQ(disk.stats().objects, 1u);
    }
    DiskStore disk(DiskStoreSettings{directory_, 1 << 20});
    EXPECT_EQ(disk.stats().objects, 1u);
    auto object = disk.load("site/a");
    ASSERT_NE(object, nullptr);
    EXPECT_EQ(body_of(*object), "hello");
    EXPECT_EQ(object->meta()->etag(), "\"v1\"");
    EXPECT_EQ(object->meta()->content_length, 5u);
    EXPECT_EQ(disk.load("site/b"), nullptr);
}

TEST_F(DiskStoreTest, NeverServesTruncatedOrCorruptedFiles) {
    DiskStore disk(DiskStoreSettings{directory_, 1 << 20});
    disk.store("site/a", make_object(std::string(5000, 'a')));
    disk.store("site/b", make_object(std::string(5000, 'b')));
    disk.drain();
    const auto name_a = DiskStore::file_name_of("site/a");
    const auto path_a = directory_ / "objects" / name_a.substr(0, 2) / name_a;
    std::filesystem::resize_file(path_a, std::filesystem::file_size(path_a) - 100);
    EXPECT_EQ(disk.load("site/a"), nullptr);
    EXPECT_FALSE(std::filesystem::exists(path_a));
    const auto name_b = DiskStore::file_name_of("site/b");
    const auto path_b = directory_ / "objects" / name_b.substr(0, 2) / name_b;
    {
        std::fstream file(path_b, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(-10, std::ios::end);
        file.put('Z');
    }
    EXPECT_EQ(disk.load("site/b"), nullptr);
    EXPECT_EQ(disk.stats().corrupt, 2u);
}

TEST_F(DiskStoreTest, LeftoverTempFilesAreDiscardedAndBudgetHolds) {
    std::filesystem::create_directories(directory_ / "tmp");
    std::ofstream(directory_ / "tmp" / "half.tmp") << "partial";
    DiskStore disk(DiskStoreSettings{directory_, 64 * 1024});
    EXPECT_FALSE(std::filesystem::exists(directory_ / "tmp" / "half.tmp"));
    for (int i = 0; i < 20; ++i) disk.store("k" + std::to_string(i), make_object(std::string(8000, 'x')));
    disk.drain();
    EXPECT_LE(disk.stats().bytes, 64u * 1024);
    EXPECT_GT(disk.stats().evictions, 0u);
}

TEST_F(DiskStoreTest, PurgeByPrefix) {
    DiskStore disk(DiskStoreSettings{directory_, 1 << 20});
    disk.store("site/img/a", make_object("a"));
    disk.store("site/img/b", make_object("b"));
    disk.store("site/css/c", make_object("c"));
    disk.drain();
    EXPECT_EQ(disk.erase_prefix("site/img/"), 2u);
    EXPECT_EQ(disk.load("site/img/a"), nullptr);
    EXPECT_NE(disk.load("site/css/c"), nullptr);
}

}  // namespace
}  // namespace udn::cache::store
