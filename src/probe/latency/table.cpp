#include "probe/latency/table.hpp"

#include <algorithm>

namespace udn::probe::latency {

std::optional<report::LatencyMeasurement> ResolverTable::request(const udn::net::IpAddress& client,
                                                                 const udn::net::Endpoint& requester,
                                                                 std::uint64_t now_ms) {
    auto found = entries_.find(client);
    if (found == entries_.end()) {
        make_room(now_ms);
        found = entries_.emplace(client, Entry{}).first;
    }
    auto& entry = found->second;
    // A few DNS servers ask about a client; cap the set so one client cannot grow without bound.
    if (entry.requesters.size() < 16) entry.requesters.insert(requester);
    entry.last_requested_ms = now_ms;
    if (entry.latest && entry.latest->measured_at_ms + settings_.refresh_after_ms > now_ms) return entry.latest;
    return std::nullopt;
}

std::vector<udn::net::Endpoint> ResolverTable::record(const report::LatencyMeasurement& measurement) {
    auto found = entries_.find(measurement.client);
    if (found == entries_.end()) return {};
    found->second.latest = measurement;
    found->second.measuring = false;
    return {found->second.requesters.begin(), found->second.requesters.end()};
}

bool ResolverTable::begin_measuring(const udn::net::IpAddress& client) {
    auto found = entries_.find(client);
    if (found == entries_.end() || found->second.measuring) return false;
    found->second.measuring = true;
    return true;
}

std::vector<udn::net::IpAddress> ResolverTable::due_for_refresh(std::uint64_t now_ms, std::size_t limit) {
    std::vector<udn::net::IpAddress> due;
    for (auto& [client, entry] : entries_) {
        if (due.size() >= limit) break;
        if (entry.measuring || !entry.latest) continue;
        if (entry.latest->measured_at_ms + settings_.refresh_after_ms > now_ms) continue;
        if (entry.last_requested_ms + settings_.forget_after_ms <= now_ms) continue;
        entry.measuring = true;
        due.push_back(client);
    }
    return due;
}

void ResolverTable::forget_idle(std::uint64_t now_ms) {
    std::erase_if(entries_, [&](const auto& item) {
        return !item.second.measuring && item.second.last_requested_ms + settings_.forget_after_ms <= now_ms;
    });
}

void ResolverTable::make_room(std::uint64_t now_ms) {
    if (entries_.size() < settings_.max_clients) return;
    forget_idle(now_ms);
    if (entries_.size() < settings_.max_clients) return;
    // Still full of wanted clients: drop the one asked about least recently.
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.last_requested_ms < b.second.last_requested_ms;
    });
    entries_.erase(oldest);
}

}  // namespace udn::probe::latency
