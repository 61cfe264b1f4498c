// Up/down state of the disk back; see backend_health.hpp.
#include "cache/tiers/backend_health.hpp"

#include <cstdio>

namespace udn::cache::tiers {

bool BackendHealth::usable(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    return !down_ || now >= retry_at_;
}

std::optional<std::string> BackendHealth::failed(const std::string& why, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    retry_at_ = now + down_for_;
    if (down_) return std::nullopt;
    down_ = true;
    down_since_ = now;
    return "disk back " + name_ + " unreachable (" + why + "): fetching from the origins directly, trying the back again every " +
           std::to_string(down_for_.count()) + " ms";
}

std::optional<std::string> BackendHealth::answered(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (!down_) return std::nullopt;
    down_ = false;
    const auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(now - down_since_).count() / 1000.0;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", seconds);
    return "disk back " + name_ + " answers again after " + text + " s: misses go to it again";
}

}  // namespace udn::cache::tiers
