// Client state that moves with its clients: when the ring of DNS servers changes (a push adds or
// removes one), every server sends what it holds for clients another server now owns to that
// owner, in authenticated envelopes on ports.dns_cluster:
// - persistence entries (kind `persistence`), which the owner takes unless it has decided for
//   that client itself meanwhile. Without them a moved client prefix started a new persistence
//   window on its new owner, and could be sent to another server mid-session;
// - latency measurements (kind `latency`), which the owner takes unless its own are as recent.
//   Without them a moved prefix got the fallback (coverage zone, GeoIP) until its new owner had
//   measured it again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/cluster/ring.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/persistence_table.hpp"

namespace udn::dns::cluster {

inline constexpr std::size_t handover_record_bytes = 32;  // domain, client key, candidate, expiry
// Records per datagram: with the envelope header and the MAC it stays within 1232 bytes (no
// fragments).
inline constexpr std::size_t max_handover_records = 36;

// A client prefix's latency from one POP. The POP travels as the identity of its name
// (gslb::stable_identity), since each server numbers its latency slots itself.
struct LatencyRecord {
    std::uint64_t prefix_key = 0;
    std::uint64_t pop = 0;
    std::uint32_t measured_at_s = 0;  // Unix seconds
    std::uint16_t latency_ms = 0;
    std::uint16_t loss_permille = gslb::loss_not_measured;
};
inline constexpr std::size_t latency_record_bytes = 24;  // prefix, POP, measured at, latency, loss
inline constexpr std::size_t max_latency_records = 48;   // 1,195 bytes with header and MAC

namespace detail {
// The records of a handover message: the bytes before its MAC when they are a whole number of
// `record_bytes` records (at least one) and the MAC under `key` verifies; nullopt otherwise.
std::optional<std::span<const std::uint8_t>> verified_records(std::span<const std::uint8_t> message,
                                                              std::size_t record_bytes, const report::Key& key);
inline std::uint64_t get_u64(const std::uint8_t* at) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | at[i];
    return value;
}
}  // namespace detail

// Writes a `persistence` envelope holding `records` (at most max_handover_records) and their
// HMAC-SHA256 under `key` into `out`; returns its size, 0 when `out` is too small or there are
// too many records. Unlike a forwarded query (which a spoofer could as well send as a query with
// an ECS option), a handover changes state, so it is authenticated.
std::size_t write_handover(std::span<std::uint8_t> out,
                           std::span<const gslb::PersistenceTable::Held> records,
                           const report::Key& key);

// Calls `each(const Held&)` for every record of a `persistence` envelope's message; false (and
// no call) when the message is not a whole number of records followed by their MAC under `key`.
template <typename Each>
bool read_handover(std::span<const std::uint8_t> message, const report::Key& key, const Each& each) {
    const auto records = detail::verified_records(message, handover_record_bytes, key);
    if (!records) return false;
    for (std::size_t at = 0; at < records->size(); at += handover_record_bytes) {
        const auto* record = records->data() + at;
        each(gslb::PersistenceTable::Held{detail::get_u64(record), detail::get_u64(record + 8),
                                          detail::get_u64(record + 16),
                                          static_cast<std::int64_t>(detail::get_u64(record + 24))});
    }
    return true;
}

// The same for a `latency` envelope of at most max_latency_records LatencyRecords.
std::size_t write_latency_handover(std::span<std::uint8_t> out, std::span<const LatencyRecord> records,
                                   const report::Key& key);
template <typename Each>
bool read_latency_handover(std::span<const std::uint8_t> message, const report::Key& key, const Each& each) {
    const auto records = detail::verified_records(message, latency_record_bytes, key);
    if (!records) return false;
    for (std::size_t at = 0; at < records->size(); at += latency_record_bytes) {
        const auto* record = records->data() + at;
        const auto times = detail::get_u64(record + 16);
        each(LatencyRecord{detail::get_u64(record), detail::get_u64(record + 8), static_cast<std::uint32_t>(times >> 32),
                           static_cast<std::uint16_t>(times >> 16), static_cast<std::uint16_t>(times)});
    }
    return true;
}

// Whether two rings have the same members (both null counts as the same).
bool same_members(const Ring* before, const Ring* after);

// Whether a new ring moves client ownership relative to `before`: handing over is due.
bool ownership_moved(const Ring* before, const Ring* after);

// What a server hands over.
struct HandoverSource {
    const gslb::PersistenceTable* persistence = nullptr;  // null: none
    const gslb::LatencyTable* latency = nullptr;          // null: none
    std::vector<std::uint64_t> pop_of_slot;  // identity of the POP in each latency slot; 0: none
    std::uint32_t latency_since_s = 0;       // older measurements are stale: not handed over
};

struct HandoverResult {
    std::size_t persistence_entries = 0;  // persistence entries sent
    std::size_t latency_entries = 0;      // latency measurements sent
    std::size_t datagrams = 0;            // datagrams sent
    std::size_t failed = 0;  // datagrams the kernel refused (their entries are lost: a fresh start)
};

// Sends everything `source` holds for clients another member of `ring` owns to that owner, from
// `ring`'s own address (receivers accept envelopes only from ring members). Paced: a pause of
// 1 ms after every 32 datagrams, so a large table does not overflow the owners' buffers.
HandoverResult hand_over(const Ring& ring, const HandoverSource& source, std::int64_t now_ms);

// For a server the new configuration removed: sends everything `source` holds to its owner among
// the members of `remaining` (the new configuration's ring, as seen by any member), from `from`,
// this server's address. Receivers accept it while they still know this server as a member of
// their ring before the reload (ServingState::previous_ring).
HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from, const HandoverSource& source,
                                   std::int64_t now_ms);

// How long after a reload that changed the ring its previous members may still hand over.
inline constexpr std::int64_t departed_grace_ms = 30'000;

}  // namespace udn::dns::cluster
