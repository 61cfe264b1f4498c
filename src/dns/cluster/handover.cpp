#include "dns/cluster/handover.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>
#include <vector>

#include "dns/cluster/envelope.hpp"

namespace udn::dns::cluster {
namespace {

constexpr std::size_t datagrams_per_pause = 32;

void put_u64(std::uint8_t* out, std::uint64_t value) {
    for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

// Seals the `records_bytes` of records written after the header at `out[header]` with their MAC;
// returns the envelope's size.
std::size_t seal(std::span<std::uint8_t> out, std::size_t header, std::size_t records_bytes, const report::Key& key) {
    const auto mac = key.mac(out.subspan(header, records_bytes));
    std::memcpy(out.data() + header + records_bytes, mac.data(), mac.size());
    return header + records_bytes + mac.size();
}

}  // namespace

namespace detail {

std::optional<std::span<const std::uint8_t>> verified_records(std::span<const std::uint8_t> message,
                                                              std::size_t record_bytes, const report::Key& key) {
    if (message.size() < record_bytes + report::mac_bytes) return std::nullopt;
    const auto records = message.first(message.size() - report::mac_bytes);
    if (records.size() % record_bytes != 0) return std::nullopt;
    if (!key.verify(records, message.last(report::mac_bytes))) return std::nullopt;
    return records;
}

}  // namespace detail

std::size_t write_handover(std::span<std::uint8_t> out,
                           std::span<const gslb::PersistenceTable::Held> records,
                           const report::Key& key) {
    if (records.size() > max_handover_records) return 0;
    const auto header = write_envelope_header(out, EnvelopeKind::persistence, 0, {});
    const auto records_bytes = records.size() * handover_record_bytes;
    if (header == 0 || out.size() < header + records_bytes + report::mac_bytes) return 0;
    auto* at = out.data() + header;
    for (const auto& record : records) {
        put_u64(at, record.domain);
        put_u64(at + 8, record.client_key);
        put_u64(at + 16, record.candidate);
        put_u64(at + 24, static_cast<std::uint64_t>(record.expires_at_ms));
        at += handover_record_bytes;
    }
    return seal(out, header, records_bytes, key);
}

std::size_t write_latency_handover(std::span<std::uint8_t> out, std::span<const LatencyRecord> records,
                                   const report::Key& key) {
    if (records.size() > max_latency_records) return 0;
    const auto header = write_envelope_header(out, EnvelopeKind::latency, 0, {});
    const auto records_bytes = records.size() * latency_record_bytes;
    if (header == 0 || out.size() < header + records_bytes + report::mac_bytes) return 0;
    auto* at = out.data() + header;
    for (const auto& record : records) {
        put_u64(at, record.prefix_key);
        put_u64(at + 8, record.pop);
        put_u64(at + 16, (std::uint64_t{record.measured_at_s} << 32) | (std::uint64_t{record.latency_ms} << 16) |
                             record.loss_permille);
        at += latency_record_bytes;
    }
    return seal(out, header, records_bytes, key);
}

bool same_members(const Ring* before, const Ring* after) {
    if (before == nullptr || after == nullptr) return before == after;
    if (before->size() != after->size()) return false;
    for (std::size_t i = 0; i < after->size(); ++i) {
        if (before->member(i).seed != after->member(i).seed ||
            before->member(i).address != after->member(i).address)
            return false;
    }
    return true;
}

bool ownership_moved(const Ring* before, const Ring* after) {
    if (after == nullptr || after->size() < 2) return false;  // nobody to hand over to
    return !same_members(before, after);
}

namespace {

// One socket bound to the sending server's address, paced.
class Sender {
public:
    explicit Sender(const net::IpAddress& local) {
        fd_ = ::socket(local.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return;
        sockaddr_storage address{};
        const auto length = local.to_sockaddr(0, address);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Sender() {
        if (fd_ >= 0) ::close(fd_);
    }
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    bool usable() const { return fd_ >= 0; }
    bool send(const net::IpAddress& to, std::uint16_t port, std::span<const std::uint8_t> datagram) {
        sockaddr_storage destination{};
        const auto length = to.to_sockaddr(port, destination);
        const bool sent = ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&destination),
                                   length) == static_cast<ssize_t>(datagram.size());
        if (++count_ % datagrams_per_pause == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return sent;
    }

private:
    int fd_ = -1;
    std::size_t count_ = 0;
};

// Sends each owner's records in datagrams of at most `per_datagram`, written by `write`.
template <typename Record, typename Write>
void send_by_owner(Sender& sender, const Ring& ring, const std::vector<std::vector<Record>>& by_owner,
                   std::size_t per_datagram, const Write& write, std::size_t& entries, HandoverResult& result) {
    std::array<std::uint8_t, 1232> datagram{};
    for (std::size_t owner = 0; owner < by_owner.size(); ++owner) {
        const auto& records = by_owner[owner];
        for (std::size_t first = 0; first < records.size(); first += per_datagram) {
            const auto count = std::min(per_datagram, records.size() - first);
            const auto size = write(datagram, std::span(records).subspan(first, count), *ring.key());
            if (size > 0 && sender.send(ring.member(owner).address, ring.port(), std::span(datagram).first(size))) {
                entries += count;
                ++result.datagrams;
            } else {
                ++result.failed;
            }
        }
    }
}

// `keep_own`: what the ring's self owns stays (it is this server's own).
HandoverResult send_to_owners(const Ring& ring, const net::IpAddress& local, const HandoverSource& source,
                              std::int64_t now_ms, bool keep_own) {
    HandoverResult result;
    const auto to_send = [&](std::uint64_t prefix_key, std::size_t& owner) {
        owner = ring.owner(prefix_key);
        return !keep_own || owner != ring.self();
    };
    std::vector<std::vector<gslb::PersistenceTable::Held>> persistence(ring.size());
    if (source.persistence != nullptr) {
        source.persistence->for_each_live(now_ms, [&](const gslb::PersistenceTable::Held& held) {
            if (std::size_t owner = 0; to_send(held.client_key, owner)) persistence[owner].push_back(held);
        });
    }
    std::vector<std::vector<LatencyRecord>> latency(ring.size());
    if (source.latency != nullptr) {
        source.latency->for_each_measured(source.latency_since_s, [&](const gslb::LatencyTable::Measurement& m) {
            const auto pop = m.pop_index < source.pop_of_slot.size() ? source.pop_of_slot[m.pop_index] : 0;
            if (std::size_t owner = 0; pop != 0 && to_send(m.prefix_key, owner)) {
                latency[owner].push_back({m.prefix_key, pop, m.measured_at_s, static_cast<std::uint16_t>(m.latency_ms),
                                          m.loss_permille});
            }
        });
    }
    Sender sender(local);
    if (!ring.key() || !sender.usable()) {  // nothing the owners would take
        for (std::size_t owner = 0; owner < ring.size(); ++owner) {
            result.failed += (persistence[owner].size() + max_handover_records - 1) / max_handover_records +
                             (latency[owner].size() + max_latency_records - 1) / max_latency_records;
        }
        return result;
    }
    send_by_owner(sender, ring, persistence, max_handover_records, write_handover, result.persistence_entries, result);
    send_by_owner(sender, ring, latency, max_latency_records, write_latency_handover, result.latency_entries, result);
    return result;
}

}  // namespace

HandoverResult hand_over(const Ring& ring, const HandoverSource& source, std::int64_t now_ms) {
    return send_to_owners(ring, ring.member(ring.self()).address, source, now_ms, true);
}

HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from, const HandoverSource& source,
                                   std::int64_t now_ms) {
    return send_to_owners(remaining, from, source, now_ms, false);
}

}  // namespace udn::dns::cluster
