// Shared cache state; see context.hpp.
#include "cache/server/context.hpp"

#include <algorithm>
#include <chrono>

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
        object = disk->load(key);
        if (object) {
            metrics.disk_hits.fetch_add(1, std::memory_order_relaxed);
            memory.insert(key, object);
        }
    }
    return object;
}

std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace udn::cache::server
