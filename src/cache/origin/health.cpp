// Passive origin health and mirror ordering; see health.hpp.
#include "cache/origin/health.hpp"

#include <algorithm>

namespace udn::cache::origin {

std::string HealthTable::key_of(const config::Origin& origin) {
    return origin.address.to_string() + ":" + std::to_string(origin.port);
}

bool HealthTable::is_down(const config::Origin& origin) {
    std::lock_guard lock(mutex_);
    const auto it = down_until_.find(key_of(origin));
    return it != down_until_.end() && it->second > Clock::now();
}

void HealthTable::report_failure(const config::Origin& origin) {
    std::lock_guard lock(mutex_);
    down_until_[key_of(origin)] = Clock::now() + down_for_;
}

void HealthTable::report_success(const config::Origin& origin) {
    std::lock_guard lock(mutex_);
    down_until_.erase(key_of(origin));
}

std::vector<const config::Origin*> HealthTable::order(const std::vector<const config::Origin*>& origins) {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    std::vector<const config::Origin*> primaries, backups, down;
    for (const auto* origin : origins) {
        const auto it = down_until_.find(key_of(*origin));
        if (it != down_until_.end() && it->second > now) down.push_back(origin);
        else (origin->backup ? backups : primaries).push_back(origin);
    }
    // Weighted shuffle of the healthy primaries: each pick is proportional to weight.
    std::vector<const config::Origin*> result;
    while (!primaries.empty()) {
        std::uint64_t total = 0;
        for (const auto* origin : primaries) total += std::max<std::uint32_t>(1, origin->weight);
        std::uint64_t pick = std::uniform_int_distribution<std::uint64_t>(0, total - 1)(random_);
        auto it = primaries.begin();
        for (; it != primaries.end(); ++it) {
            const std::uint64_t weight = std::max<std::uint32_t>(1, (*it)->weight);
            if (pick < weight) break;
            pick -= weight;
        }
        result.push_back(*it);
        primaries.erase(it);
    }
    result.insert(result.end(), backups.begin(), backups.end());
    std::sort(down.begin(), down.end(), [&](const auto* a, const auto* b) {
        return down_until_[key_of(*a)] < down_until_[key_of(*b)];
    });
    result.insert(result.end(), down.begin(), down.end());
    return result;
}

}  // namespace udn::cache::origin
