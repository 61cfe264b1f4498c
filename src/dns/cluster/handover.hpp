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
#include <string_view>
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
// What a handover's MAC covers: `context` and then the records. Persistence handovers have no
// context (as they were first sent); latency handovers name their kind, so that 48 latency
// records (1,152 bytes, as many as 36 persistence records) cannot be replayed as persistence.
inline constexpr std::string_view persistence_context{};
inline constexpr std::string_view latency_context = "udn latency handover";
report::Mac handover_mac(std::string_view context, std::span<const std::uint8_t> records, const report::Key& key);
// The records of a handover message: the bytes before its MAC when they are a whole number of
// `record_bytes` records (at least one) and the MAC of `context` and them under `key` verifies;
// nullopt otherwise.
std::optional<std::span<const std::uint8_t>> verified_records(std::span<const std::uint8_t> message,
                                                              std::size_t record_bytes, std::string_view context,
                                                              const report::Key& key);
inline std::uint64_t get_u64(const std::uint8_t* at) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | at[i];
    return value;
}
inline void put_u64(std::uint8_t* at, std::uint64_t value) {
    for (std::size_t i = 0; i < 8; ++i) at[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}
}  // namespace detail

// The records' byte layouts (big-endian), shared by handovers and the client-state file
// (server/client_state_file.hpp). `at` has room for one record.
inline void put_record(std::uint8_t* at, const gslb::PersistenceTable::Held& record) {
    detail::put_u64(at, record.domain);
    detail::put_u64(at + 8, record.client_key);
    detail::put_u64(at + 16, record.candidate);
    detail::put_u64(at + 24, static_cast<std::uint64_t>(record.expires_at_ms));
}
inline gslb::PersistenceTable::Held get_persistence_record(const std::uint8_t* at) {
    return {detail::get_u64(at), detail::get_u64(at + 8), detail::get_u64(at + 16),
            static_cast<std::int64_t>(detail::get_u64(at + 24))};
}
inline void put_record(std::uint8_t* at, const LatencyRecord& record) {
    detail::put_u64(at, record.prefix_key);
    detail::put_u64(at + 8, record.pop);
    detail::put_u64(at + 16, (std::uint64_t{record.measured_at_s} << 32) | (std::uint64_t{record.latency_ms} << 16) |
                                 record.loss_permille);
}
inline LatencyRecord get_latency_record(const std::uint8_t* at) {
    const auto times = detail::get_u64(at + 16);
    return {detail::get_u64(at), detail::get_u64(at + 8), static_cast<std::uint32_t>(times >> 32),
            static_cast<std::uint16_t>(times >> 16), static_cast<std::uint16_t>(times)};
}

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
    const auto records = detail::verified_records(message, handover_record_bytes, detail::persistence_context, key);
    if (!records) return false;
    for (std::size_t at = 0; at < records->size(); at += handover_record_bytes) {
        each(get_persistence_record(records->data() + at));
    }
    return true;
}

// The same for a `latency` envelope of at most max_latency_records LatencyRecords.
std::size_t write_latency_handover(std::span<std::uint8_t> out, std::span<const LatencyRecord> records,
                                   const report::Key& key);
template <typename Each>
bool read_latency_handover(std::span<const std::uint8_t> message, const report::Key& key, const Each& each) {
    const auto records = detail::verified_records(message, latency_record_bytes, detail::latency_context, key);
    if (!records) return false;
    for (std::size_t at = 0; at < records->size(); at += latency_record_bytes) {
        each(get_latency_record(records->data() + at));
    }
    return true;
}

// Whether two rings have the same members (both null counts as the same).
bool same_members(const Ring* before, const Ring* after);

// Whether a new ring moves client ownership relative to `before`: handing over is due.
bool ownership_moved(const Ring* before, const Ring* after);

// What a server holds of its clients, as it hands it over or saves it (client_state_file.hpp).
struct ClientStateView {
    const gslb::PersistenceTable* persistence = nullptr;  // null: none
    const gslb::LatencyTable* latency = nullptr;          // null: none
    std::vector<std::uint64_t> pop_of_slot;  // identity of the POP in each latency slot; 0: none
    std::uint32_t latency_since_s = 0;       // older measurements are stale: left out

    // Calls `persistence(const Held&)` for every live window and `latency(const LatencyRecord&)`
    // for every fresh measurement of a slot a POP holds, and `stretch_done()` after each stretch
    // of the tables (16k entries), so that a caller can send or write what it has gathered and
    // never hold all of it.
    template <typename Persistence, typename Latency, typename StretchDone>
    void walk(std::int64_t now_ms, const Persistence& on_persistence, const Latency& on_latency,
              const StretchDone& stretch_done) const {
        constexpr std::size_t windows_per_stretch = 4096;  // of 4 entries
        constexpr std::size_t buckets_per_stretch = 1024;  // of 16 prefixes
        if (persistence != nullptr) {
            for (std::size_t first = 0; first < persistence->window_count(); first += windows_per_stretch) {
                persistence->for_each_live(now_ms, first, first + windows_per_stretch, on_persistence);
                stretch_done();
            }
        }
        if (latency == nullptr) return;
        for (std::size_t first = 0; first < latency->bucket_count(); first += buckets_per_stretch) {
            latency->for_each_measured(latency_since_s, first, first + buckets_per_stretch,
                                       [&](const gslb::LatencyTable::Measurement& m) {
                                           const auto pop = m.pop_index < pop_of_slot.size() ? pop_of_slot[m.pop_index] : 0;
                                           if (pop == 0) return;  // a slot no POP holds
                                           on_latency(LatencyRecord{m.prefix_key, pop, m.measured_at_s,
                                                                    static_cast<std::uint16_t>(m.latency_ms),
                                                                    m.loss_permille});
                                       });
            stretch_done();
        }
    }
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
HandoverResult hand_over(const Ring& ring, const ClientStateView& source, std::int64_t now_ms);

// For a server the new configuration removed: sends everything `source` holds to its owner among
// the members of `remaining` (the new configuration's ring, as seen by any member), from `from`,
// this server's address. Receivers accept it while they still know this server as a member of
// their ring before the reload (ServingState::previous_ring).
HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from, const ClientStateView& source,
                                   std::int64_t now_ms);

// How long after a reload that changed the ring its previous members may still hand over.
inline constexpr std::int64_t departed_grace_ms = 30'000;

}  // namespace udn::dns::cluster
