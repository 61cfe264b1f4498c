// Passive health of origin servers as this cache sees them: a connect failure, timeout or 5xx
// marks an origin down for a while; selection prefers healthy primaries (by weight), then
// healthy backups, and only when everything is down tries them anyway (least recently failed
// first), so an outage never turns into a hard error while any origin might answer.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"

namespace udn::cache::origin {

class HealthTable {
public:
    using Clock = std::chrono::steady_clock;
    explicit HealthTable(std::chrono::milliseconds down_for = std::chrono::seconds(10)) : down_for_(down_for) {}

    // Every candidate in the order to try them.
    std::vector<const config::Origin*> order(const std::vector<const config::Origin*>& origins);
    void report_failure(const config::Origin& origin);
    void report_success(const config::Origin& origin);
    bool is_down(const config::Origin& origin);

private:
    static std::string key_of(const config::Origin& origin);
    std::mutex mutex_;
    std::unordered_map<std::string, Clock::time_point> down_until_;
    std::chrono::milliseconds down_for_;
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace udn::cache::origin
