#include "dns/cluster/ring.hpp"

#include <algorithm>

namespace udn::dns::cluster {
namespace {

// splitmix64's finaliser: a full-avalanche mix, so weights of nearby prefixes are independent.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

std::uint64_t name_seed(std::string_view name) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, then mixed
    for (const char c : name) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return mix(hash);
}

}  // namespace

std::uint64_t Ring::weight(std::uint64_t seed, std::uint64_t prefix_key) {
    return mix(seed ^ mix(prefix_key));
}

std::shared_ptr<const Ring> Ring::build(const config::Config& config, std::string_view self,
                                        std::vector<std::string>& dropped) {
    if (!config.dns.share_client_state) return nullptr;
    const auto* self_server = config.find_server(self);
    if (self_server == nullptr || !self_server->has_role(config::Role::dns) ||
        self_server->addresses.empty()) {
        return nullptr;
    }
    const auto family = self_server->addresses.front().family();
    auto ring = std::make_shared<Ring>();
    ring->port_ = config.ports.dns_cluster;
    ring->forward_timeout_ms_ = config.dns.forward_timeout_ms;
    ring->key_ = report::Key::from_hex(config.network.report_key);
    for (const auto* server : config.servers_with_role(config::Role::dns)) {
        const auto same_family =
            std::find_if(server->addresses.begin(), server->addresses.end(),
                         [family](const net::IpAddress& a) { return a.family() == family; });
        if (same_family == server->addresses.end()) {
            dropped.push_back(server->name);
            continue;
        }
        ring->members_.push_back(
            {server->name, *same_family, server->addresses, name_seed(server->name)});
    }
    std::sort(ring->members_.begin(), ring->members_.end(),
              [](const Member& a, const Member& b) { return a.name < b.name; });
    for (std::size_t i = 0; i < ring->members_.size(); ++i) {
        if (ring->members_[i].name == self) ring->self_ = i;
    }
    return ring;
}

std::optional<std::size_t> Ring::member_at(const net::IpAddress& address) const {
    for (std::size_t i = 0; i < members_.size(); ++i) {
        const auto& all = members_[i].addresses;
        if (std::find(all.begin(), all.end(), address) != all.end()) return i;
    }
    return std::nullopt;
}

}  // namespace udn::dns::cluster
