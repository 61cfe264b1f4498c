#include "dns/cluster/handover.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

#include "dns/cluster/envelope.hpp"

namespace udn::dns::cluster {
namespace {

constexpr std::size_t datagrams_per_pause = 32;

void put_u64(std::uint8_t* out, std::uint64_t value) {
    for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

}  // namespace

std::size_t write_handover(std::span<std::uint8_t> out,
                           std::span<const gslb::PersistenceTable::Held> records) {
    if (records.size() > max_handover_records) return 0;
    const auto header = write_envelope_header(out, EnvelopeKind::persistence, 0, {});
    const auto size = header + records.size() * handover_record_bytes;
    if (header == 0 || out.size() < size) return 0;
    auto* at = out.data() + header;
    for (const auto& record : records) {
        put_u64(at, record.domain);
        put_u64(at + 8, record.client_key);
        put_u64(at + 16, record.candidate);
        put_u64(at + 24, static_cast<std::uint64_t>(record.expires_at_ms));
        at += handover_record_bytes;
    }
    return size;
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

// `keep_own`: entries whose owner is the ring's self stay (they are this server's own).
HandoverResult send_to_owners(const Ring& ring, const net::IpAddress& local,
                              const gslb::PersistenceTable& table, std::int64_t now_ms,
                              bool keep_own) {
    HandoverResult result;
    std::vector<std::vector<gslb::PersistenceTable::Held>> by_owner(ring.size());
    table.for_each_live(now_ms, [&](const gslb::PersistenceTable::Held& held) {
        const auto owner = ring.owner(held.client_key);
        if (!keep_own || owner != ring.self()) by_owner[owner].push_back(held);
    });
    const int fd = ::socket(local.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return result;
    sockaddr_storage address{};
    const auto length = local.to_sockaddr(0, address);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        ::close(fd);
        for (const auto& entries : by_owner)
            result.failed += (entries.size() + max_handover_records - 1) / max_handover_records;
        return result;
    }
    std::array<std::uint8_t,
               max_envelope_header_bytes + max_handover_records * handover_record_bytes>
        datagram{};
    for (std::size_t owner = 0; owner < by_owner.size(); ++owner) {
        const auto& entries = by_owner[owner];
        sockaddr_storage destination{};
        const auto destination_length =
            ring.member(owner).address.to_sockaddr(ring.port(), destination);
        for (std::size_t first = 0; first < entries.size(); first += max_handover_records) {
            const auto count = std::min(max_handover_records, entries.size() - first);
            const auto size = write_handover(datagram, std::span(entries).subspan(first, count));
            const auto sent =
                ::sendto(fd, datagram.data(), size, 0,
                         reinterpret_cast<const sockaddr*>(&destination), destination_length);
            if (sent == static_cast<ssize_t>(size)) {
                result.entries += count;
                ++result.datagrams;
            } else {
                ++result.failed;
            }
            if ((result.datagrams + result.failed) % datagrams_per_pause == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    ::close(fd);
    return result;
}

}  // namespace

HandoverResult hand_over(const Ring& ring, const gslb::PersistenceTable& table,
                         std::int64_t now_ms) {
    return send_to_owners(ring, ring.member(ring.self()).address, table, now_ms, true);
}

HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from,
                                   const gslb::PersistenceTable& table, std::int64_t now_ms) {
    return send_to_owners(remaining, from, table, now_ms, false);
}

}  // namespace udn::dns::cluster
