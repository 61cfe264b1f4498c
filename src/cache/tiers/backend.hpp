// The disk back as a memory front reaches it: plain HTTP/1.1 requests over keep-alive
// connections (one idle pool per worker event loop, since a socket belongs to the loop that
// made it), the back's up/down state, and purges forwarded to the back's admin port.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/origin/client.hpp"
#include "cache/tiers/backend_health.hpp"

namespace udn::cache::tiers {

struct BackendSettings {
    std::string host;              // an IP address
    std::uint16_t port = 0;        // the back's HTTP port (ports.cache_backend)
    std::uint16_t admin_port = 0;  // the back's admin port (ports.cache_backend_admin)
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds down_for{5000};   // after a failure, fetch from the origins this long
    std::chrono::milliseconds idle_keep{4000};  // shorter than the back's keep-alive timeout
    std::size_t max_idle_per_loop = 64;
};

// Where the front reports the back going down and coming back ("info"/"warning", message).
using Notify = std::function<void(std::string_view level, const std::string& message)>;

struct BackendFetch {
    std::unique_ptr<origin::OriginResponse> response;  // null when the back did not answer
    std::string error;
    // The back did not answer and the request may go to the origins instead: it never left
    // (connect failed), or it is idempotent.
    bool may_fall_back = false;
};

struct AdminAnswer {
    int status = 0;  // 0 when no response arrived
    std::string body;
    std::string error;
};

class Backend {
public:
    Backend(BackendSettings settings, Notify notify);

    const std::string& name() const { return name_; }  // "127.0.0.2:8081"
    const BackendSettings& settings() const { return settings_; }
    // False while the back counts as down (misses then go to the origins directly).
    bool usable();
    // One request to the back: on an idle pooled connection when there is one (idempotent
    // requests only; one retry on a new connection if the pooled one turns out closed).
    awaitable<BackendFetch> fetch(const origin::OriginRequest& request, origin::Timeouts timeouts);
    // POST `target` to the back's admin port with this Authorization value.
    awaitable<AdminAnswer> post_admin(const std::string& target, const std::string& authorization,
                                      std::chrono::milliseconds timeout);
    // Closes the idle connections; call while the event loops still exist (before they go).
    void clear_pool();

    std::atomic<std::uint64_t> fetches{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> fallbacks{0};  // fetches the front sent to the origins itself

    void count_fallback() { fallbacks.fetch_add(1, std::memory_order_relaxed); }

private:
    std::shared_ptr<GuardedSocket> take_idle(const asio::any_io_executor& executor);
    void give_back(std::shared_ptr<GuardedSocket> socket);
    awaitable<std::shared_ptr<GuardedSocket>> connect(std::uint16_t port, std::string& error);
    void report(bool ok, const std::string& why);

    BackendSettings settings_;
    Notify notify_;
    std::string name_;
    tcp::endpoint endpoint_;
    BackendHealth health_;
    std::mutex mutex_;
    std::unordered_map<const void*, std::vector<std::shared_ptr<GuardedSocket>>> idle_;  // by event loop
};

}  // namespace udn::cache::tiers
