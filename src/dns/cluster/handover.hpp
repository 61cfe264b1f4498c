// Persistence that moves with its clients: when the ring of DNS servers changes (a push adds or
// removes one), every server sends the persistence entries it holds for clients another server
// now owns to that owner, in envelopes of kind `persistence` on ports.dns_cluster, and the owner
// takes each one it has not decided itself meanwhile. Without it a moved client prefix started
// a new persistence window on its new owner, and could be sent to another server mid-session.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "common/net/ip_address.hpp"
#include "dns/cluster/ring.hpp"
#include "dns/gslb/persistence_table.hpp"

namespace udn::dns::cluster {

inline constexpr std::size_t handover_record_bytes = 32;  // domain, client key, candidate, expiry
// Records per datagram: with the envelope header it stays within 1232 bytes (no fragments).
inline constexpr std::size_t max_handover_records = 36;

// Writes a `persistence` envelope holding `records` (at most max_handover_records) into `out`;
// returns its size, 0 when `out` is too small or there are too many records.
std::size_t write_handover(std::span<std::uint8_t> out,
                           std::span<const gslb::PersistenceTable::Held> records);

// Calls `each(const Held&)` for every record of a `persistence` envelope's message; false (and
// no call) when the message is not a whole number of records.
template <typename Each>
bool read_handover(std::span<const std::uint8_t> message, const Each& each) {
    if (message.empty() || message.size() % handover_record_bytes != 0) return false;
    const auto u64 = [&](std::size_t at) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | message[at + i];
        return value;
    };
    for (std::size_t at = 0; at < message.size(); at += handover_record_bytes) {
        each(gslb::PersistenceTable::Held{u64(at), u64(at + 8), u64(at + 16),
                                          static_cast<std::int64_t>(u64(at + 24))});
    }
    return true;
}

// Whether two rings have the same members (both null counts as the same).
bool same_members(const Ring* before, const Ring* after);

// Whether a new ring moves client ownership relative to `before`: handing over is due.
bool ownership_moved(const Ring* before, const Ring* after);

struct HandoverResult {
    std::size_t entries = 0;    // entries sent
    std::size_t datagrams = 0;  // datagrams sent
    std::size_t failed = 0;  // datagrams the kernel refused (the entries are lost: a fresh window)
};

// Sends every live entry of `table` whose client another member of `ring` owns to that owner,
// from `ring`'s own address (receivers accept envelopes only from ring members). Paced: a pause
// of 1 ms after every 32 datagrams, so a large table does not overflow the owners' buffers.
HandoverResult hand_over(const Ring& ring, const gslb::PersistenceTable& table,
                         std::int64_t now_ms);

// For a server the new configuration removed: sends every live entry of `table` to its owner
// among the members of `remaining` (the new configuration's ring, as seen by any member), from
// `from`, this server's address. Receivers accept it while they still know this server as a
// member of their ring before the reload (ServingState::previous_ring).
HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from,
                                   const gslb::PersistenceTable& table, std::int64_t now_ms);

// How long after a reload that changed the ring its previous members may still hand over.
inline constexpr std::int64_t departed_grace_ms = 30'000;

}  // namespace udn::dns::cluster
