// Which DNS server owns a client prefix's state (latency measurements, persistence): rendezvous
// (highest-random-weight) hashing of the prefix key over the servers with the dns role. Every
// server computes the same owner from the same configuration; when a server is left out (down,
// removed) only the prefixes it owned move, each to its own second choice, so the others keep
// their warm state. Built once per configuration snapshot; read-only afterwards.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/net/ip_address.hpp"
#include "common/report/key.hpp"

namespace udn::dns::cluster {

class Ring {
public:
    struct Member {
        std::string name;
        net::IpAddress address;  // where its forwarded queries go (ports.dns_cluster)
        std::vector<net::IpAddress> addresses;  // every address it may answer from
        std::uint64_t seed = 0;                 // hash of the name: stable across reorderings
    };

    // The members are the servers with the dns role that have an address of the same family as
    // `self`'s first address (forwarding never crosses families). Null when sharing is off or
    // `self` is not a dns server; `dropped` names servers left out, for a log line.
    static std::shared_ptr<const Ring> build(const config::Config& config, std::string_view self,
                                             std::vector<std::string>& dropped);

    std::size_t size() const { return members_.size(); }
    std::size_t self() const { return self_; }
    const Member& member(std::size_t index) const { return members_[index]; }
    std::uint16_t port() const { return port_; }
    std::uint32_t forward_timeout_ms() const { return forward_timeout_ms_; }
    // The network's report key, which authenticates persistence handovers (cluster/handover.hpp);
    // empty when network.report_key is not valid hex (then nothing is handed over).
    const std::optional<report::Key>& key() const { return key_; }

    // The owner of `prefix_key` among the members `usable(index)` accepts (self always counts).
    template <typename Usable>
    std::size_t owner(std::uint64_t prefix_key, const Usable& usable) const {
        std::size_t best = self_;
        std::uint64_t best_weight = weight(members_[self_].seed, prefix_key);
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (i == self_) continue;
            const auto w = weight(members_[i].seed, prefix_key);
            if ((w > best_weight || (w == best_weight && i < best)) && usable(i)) {
                best = i;
                best_weight = w;
            }
        }
        return best;
    }
    std::size_t owner(std::uint64_t prefix_key) const {
        return owner(prefix_key, [](std::size_t) { return true; });
    }

    // The member that may send from `address`, if any: only members are served forwarded queries.
    std::optional<std::size_t> member_at(const net::IpAddress& address) const;

    static std::uint64_t weight(std::uint64_t seed, std::uint64_t prefix_key);

private:
    std::vector<Member> members_;
    std::size_t self_ = 0;
    std::uint16_t port_ = 0;
    std::uint32_t forward_timeout_ms_ = 0;
    std::optional<report::Key> key_;
};

}  // namespace udn::dns::cluster
