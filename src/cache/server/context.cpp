// Shared cache state; see context.hpp.
#include "cache/server/context.hpp"

#include <algorithm>
#include <chrono>

#include "cache/slice/slices.hpp"

namespace udn::cache::server {

InflightFetch Inflight::join_or_register(const std::string& key, const InflightFetch& fresh) {
    std::lock_guard lock(mutex_);
    const auto [it, inserted] = fetches_.try_emplace(key, fresh);
    return inserted ? InflightFetch{} : it->second;
}

void Inflight::remove(const std::string& key, const store::Object* object) {
    std::lock_guard lock(mutex_);
    const auto it = fetches_.find(key);
    if (it != fetches_.end() && it->second.object.get() == object) fetches_.erase(it);
}

void Inflight::forget(const PurgeFence::Cover& cover) {
    std::lock_guard lock(mutex_);
    std::erase_if(fetches_, [&](const auto& entry) { return cover.covers(entry.first); });
}

Context::Context(Settings settings_in, std::shared_ptr<const RouteTable> routes_in)
    : settings(std::move(settings_in)),
      routes(std::move(routes_in)),
      memory(store::MemoryStoreSettings{settings.memory_bytes}),
      health(settings.origin_down_for),
      cache_status_prefix(settings.cache_status_name.empty() ? "udn-" + settings.pop : settings.cache_status_name) {
    if (!settings.disk_dir.empty()) {
        disk = std::make_unique<store::DiskStore>(store::DiskStoreSettings{settings.disk_dir, settings.disk_bytes});
    }
    if (!settings.backend_host.empty()) {
        tiers::BackendSettings back;
        back.host = settings.backend_host;
        back.port = settings.backend_port;
        back.admin_port = settings.backend_admin_port;
        back.down_for = settings.backend_down_for;
        // Kept connections must close before the back's keep-alive timeout closes them.
        back.idle_keep = std::min(back.idle_keep, settings.request_timeout / 2);
        backend = std::make_unique<tiers::Backend>(back, settings.notify);
    }
    if (!settings.spool_dir.empty()) {
        access_log = std::make_unique<log::AccessLog>(settings.spool_dir, settings.spool_max_bytes, settings.spool_max_age_s);
    }
}

store::ObjectPtr Context::find_stored(std::string_view key) {
    auto object = memory.find(key);
    if (!object && disk) {
        const auto ticket = purge_fence.open(std::string(key));
        object = disk->load(key);
        if (object) {
            metrics.disk_hits.fetch_add(1, std::memory_order_relaxed);
            // A purge between the read and here has deleted the file: serve what was read (the
            // request came first) but do not bring it back into memory.
            purge_fence.store_unless_purged(ticket, [&] { memory.insert(key, object); });
        }
    }
    return object;
}

bool Context::store_complete(const std::string& key, const store::ObjectPtr& object, const PurgeFence::Ticket& ticket) {
    return purge_fence.store_unless_purged(ticket, [&] {
        memory.insert(key, object);
        if (disk) disk->store(key, object);
    });
}

PurgeCounts Context::purge(const PurgeFence::Cover& cover) {
    purge_fence.record(cover);
    inflight.forget(cover);
    PurgeCounts counts;
    if (!cover.exact.empty()) {
        counts.memory_objects += memory.erase(cover.exact) ? 1 : 0;
        if (disk) counts.disk_objects += disk->erase(cover.exact) ? 1 : 0;
    }
    counts.memory_objects += memory.erase_prefix(cover.prefix);
    if (disk) counts.disk_objects += disk->erase_prefix(cover.prefix);
    return counts;
}

void Context::erase_slices(std::string_view key) {
    const auto prefix = slice::slices_prefix(key);
    memory.erase_prefix(prefix);
    if (disk) disk->erase_prefix(prefix);
}

std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace udn::cache::server
