// The state one cache process shares between its workers: routes (an immutable snapshot
// swapped on reload), the memory and disk tiers, origin health, the in-flight fetches that
// requests collapse onto, counters, and the access log.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cache/log/access_log.hpp"
#include "cache/origin/health.hpp"
#include "cache/server/purge_fence.hpp"
#include "cache/server/routes.hpp"
#include "cache/server/settings.hpp"
#include "cache/store/disk_store.hpp"
#include "cache/store/memory_store.hpp"
#include "cache/tiers/backend.hpp"
#include "cache/tls/certificates.hpp"
#include "common/config/snapshot.hpp"

namespace udn::cache::server {

struct Metrics {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::atomic<std::uint64_t> collapsed{0};
    std::atomic<std::uint64_t> stale{0};
    std::atomic<std::uint64_t> revalidated{0};
    std::atomic<std::uint64_t> passes{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> disk_hits{0};
    std::atomic<std::uint64_t> origin_fetches{0};
    std::atomic<std::uint64_t> origin_failures{0};
    std::atomic<std::uint64_t> bad_requests{0};
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::int64_t> connections_open{0};
    std::atomic<std::uint64_t> body_bytes_sent{0};
    std::atomic<std::uint64_t> purges{0};
    std::atomic<std::uint64_t> slice_fetches{0};
    std::atomic<std::uint64_t> slice_version_changes{0};
    std::atomic<std::uint64_t> tls_handshakes{0};
    std::atomic<std::uint64_t> tls_handshake_failures{0};
    std::atomic<std::uint64_t> tls_resumed{0};
};

// What a fetch learned beyond the object, for the clients that read it: written by the fetch
// task before the object leaves the pending state, read by clients after it did.
struct FetchNote {
    std::string upstream_status;  // the disk back's Cache-Status entry when the back answered
};

struct InflightFetch {
    store::ObjectPtr object;
    std::shared_ptr<FetchNote> note;
};

// Fetches under way, by cache key: the rendezvous of request collapsing.
class Inflight {
public:
    // Returns the fetch under way for `key`, or registers `fresh` and returns an empty one
    // (the caller is then the fetcher).
    InflightFetch join_or_register(const std::string& key, const InflightFetch& fresh);
    void remove(const std::string& key, const store::Object* object);
    // Lets go of the fetches under way for purged keys: their clients still get what they
    // joined, but a request after the purge starts a fetch of its own.
    void forget(const PurgeFence::Cover& cover);

private:
    std::mutex mutex_;
    std::unordered_map<std::string, InflightFetch> fetches_;
};

struct PurgeCounts {
    std::size_t memory_objects = 0;
    std::size_t disk_objects = 0;
};

struct Context {
    Context(Settings settings_in, std::shared_ptr<const RouteTable> routes_in);

    Settings settings;
    Snapshot<RouteTable> routes;
    store::MemoryStore memory;
    std::unique_ptr<store::DiskStore> disk;  // null when the disk tier is off
    origin::HealthTable health;
    Inflight inflight;
    PurgeFence purge_fence;
    Metrics metrics;
    std::unique_ptr<log::AccessLog> access_log;  // null when no spool is configured
    std::string cache_status_prefix;             // "udn-<pop>" (or Settings::cache_status_name)
    std::unique_ptr<tiers::Backend> backend;     // a memory front's disk back; null otherwise
    Snapshot<tls::CertificateSet> certificates{nullptr};  // HTTPS port only; swapped on reload

    // The stored object under `key`: from the memory tier, else from the disk tier (counted as a
    // disk hit and promoted into memory); null when neither has it.
    store::ObjectPtr find_stored(std::string_view key);
    // Stores a complete object in both tiers unless a purge since `ticket` was taken (before its
    // content was fetched) covered it; returns whether it was stored.
    bool store_complete(const std::string& key, const store::ObjectPtr& object, const PurgeFence::Ticket& ticket);
    // Erases what `cover` covers from both tiers, lets go of fetches under way for it, and fences
    // off stores that began before (purges, and invalidation after unsafe methods).
    PurgeCounts purge(const PurgeFence::Cover& cover);
    // Drops every stored slice of the object under `key` from both tiers: its version changed,
    // and slices of two versions must never be spliced into one answer.
    void erase_slices(std::string_view key);
};

std::int64_t unix_now_s();
std::int64_t unix_now_ms();

}  // namespace udn::cache::server
