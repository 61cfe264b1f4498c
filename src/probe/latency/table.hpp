// The latency probe's table of client resolvers: the latest measurement of each, which DNS
// servers asked about it, and when it was last asked for. It says which clients need a
// (re)measurement — never measured, or older than the refresh age while still wanted — so
// results are renewed before DNS servers consider them stale. Bounded; not thread-safe.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/report/message.hpp"

namespace udn::probe::latency {

class ResolverTable {
public:
    struct Settings {
        std::uint64_t refresh_after_ms = 1'800'000;  // re-measure once older than this
        std::uint64_t forget_after_ms = 7'200'000;   // drop clients nobody asked about for this long
        std::size_t max_clients = 100'000;
    };
    explicit ResolverTable(Settings settings) : settings_(settings) {}

    // A DNS server at `requester` asked about `client`; returns its fresh measurement if any
    // (younger than refresh_after_ms), else nullopt (it should be measured).
    std::optional<report::LatencyMeasurement> request(const udn::net::IpAddress& client,
                                                      const udn::net::Endpoint& requester, std::uint64_t now_ms);
    // Records a measurement; returns the DNS servers that asked about this client.
    std::vector<udn::net::Endpoint> record(const report::LatencyMeasurement& measurement);
    // Clients wanted recently whose measurement is older than refresh_after_ms and that are
    // not already being measured; marks them as being measured.
    std::vector<udn::net::IpAddress> due_for_refresh(std::uint64_t now_ms, std::size_t limit);
    // Marks a client as being measured; false if it already was.
    bool begin_measuring(const udn::net::IpAddress& client);
    // Drops clients nobody asked about for forget_after_ms.
    void forget_idle(std::uint64_t now_ms);
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::optional<report::LatencyMeasurement> latest;
        std::set<udn::net::Endpoint> requesters;
        std::uint64_t last_requested_ms = 0;
        bool measuring = false;
    };
    void make_room(std::uint64_t now_ms);

    Settings settings_;
    std::map<udn::net::IpAddress, Entry> entries_;
};

}  // namespace udn::probe::latency
