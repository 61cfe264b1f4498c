// The disk tier: complete objects as one file each under <dir>/objects/<2 hex>/<sha256(key)>,
// bounded in bytes (least recently used files go first), surviving restarts. Crash safety: a
// file is written under <dir>/tmp and renamed into place only when complete, and every file
// carries a SHA-256 over its key, metadata and body that is verified on every read, so after
// kill -9 (or a torn write, or bit rot) a damaged object is deleted, never served. File names
// are hashes, so no key (whatever its dots and slashes) can name a path outside the store.
// Writes happen on a background thread; reads are synchronous (local files, small objects).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "cache/store/object.hpp"

namespace udn::cache::store {

struct DiskStoreSettings {
    std::filesystem::path directory;
    std::size_t capacity_bytes = 1u << 30;
    std::size_t max_queue = 1024;  // objects waiting to be written; beyond, new ones are skipped
};

struct DiskStoreStats {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t writes = 0;
    std::uint64_t reads = 0;
    std::uint64_t corrupt = 0;  // files that failed verification (and were deleted)
    std::uint64_t evictions = 0;
};

class DiskStore {
public:
    explicit DiskStore(DiskStoreSettings settings);
    ~DiskStore();
    DiskStore(const DiskStore&) = delete;
    DiskStore& operator=(const DiskStore&) = delete;

    // A verified complete object, or null (absent or damaged; damaged files are deleted).
    ObjectPtr load(std::string_view key);
    // Whether a file for `key` is on disk (its index only; nothing is read or verified).
    bool contains(std::string_view key);
    // Queues a complete object for writing.
    void store(std::string_view key, ObjectPtr object);
    bool erase(std::string_view key);
    std::size_t erase_prefix(std::string_view prefix);
    std::size_t clear();
    // Waits until every queued write is on disk (tests, shutdown).
    void drain();
    DiskStoreStats stats();

    static std::string file_name_of(std::string_view key);
    // File format, exposed for tests and the fuzz target: encode and verify-decode.
    static std::string encode(std::string_view key, const ObjectMeta& meta, const Body& body);
    static ObjectPtr decode(std::string_view key, std::string_view file);

private:
    struct IndexEntry {
        std::string key;
        std::size_t bytes = 0;
        std::list<std::string>::iterator position;  // in lru_, most recent first
    };

    std::filesystem::path path_of(const std::string& name) const;
    void scan();
    void writer_loop();
    void write_one(const std::string& key, const ObjectPtr& object);
    void remove_locked(const std::string& name);
    void evict_locked();

    DiskStoreSettings settings_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable drained_;
    std::deque<std::pair<std::string, ObjectPtr>> queue_;
    bool writing_ = false;
    std::string writing_key_;        // the write in progress, which a purge must cancel
    bool writing_cancelled_ = false;
    bool stopping_ = false;
    std::unordered_map<std::string, IndexEntry> index_;  // by file name
    std::list<std::string> lru_;
    std::size_t bytes_ = 0;
    DiskStoreStats stats_;
    std::uint64_t temp_sequence_ = 0;
    std::thread writer_;
};

}  // namespace udn::cache::store
