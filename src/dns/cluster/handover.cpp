#include "dns/cluster/handover.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "dns/cluster/envelope.hpp"

namespace udn::dns::cluster {
namespace {

constexpr std::size_t datagrams_per_pause = 32;
// The largest handover: 36 persistence or 48 latency records (1,152 bytes), header and MAC.
constexpr std::size_t max_handover_datagram_bytes =
    max_envelope_header_bytes + max_handover_records * handover_record_bytes + report::mac_bytes;
static_assert(max_latency_records * latency_record_bytes <= max_handover_records * handover_record_bytes);

// Seals the `records_bytes` of records written after the header at `out[header]` with their MAC;
// returns the envelope's size.
std::size_t seal(std::span<std::uint8_t> out, std::size_t header, std::size_t records_bytes, std::string_view context,
                 const report::Key& key) {
    const auto mac = detail::handover_mac(context, out.subspan(header, records_bytes), key);
    std::memcpy(out.data() + header + records_bytes, mac.data(), mac.size());
    return header + records_bytes + mac.size();
}

}  // namespace

namespace detail {

namespace {

// A handover is one datagram: its context and records fit here.
using MacInput = std::array<std::uint8_t, 2048>;

// `context` followed by `records`, in `buffer` when there is a context; empty when too long.
std::span<const std::uint8_t> mac_input(std::string_view context, std::span<const std::uint8_t> records,
                                        MacInput& buffer) {
    if (context.empty()) return records;
    if (context.size() + records.size() > buffer.size()) return {};
    std::memcpy(buffer.data(), context.data(), context.size());
    std::memcpy(buffer.data() + context.size(), records.data(), records.size());
    return std::span(buffer).first(context.size() + records.size());
}

}  // namespace

report::Mac handover_mac(std::string_view context, std::span<const std::uint8_t> records, const report::Key& key) {
    MacInput buffer;
    return key.mac(mac_input(context, records, buffer));
}

std::optional<std::span<const std::uint8_t>> verified_records(std::span<const std::uint8_t> message,
                                                              std::size_t record_bytes, std::string_view context,
                                                              const report::Key& key) {
    if (message.size() < record_bytes + report::mac_bytes) return std::nullopt;
    const auto records = message.first(message.size() - report::mac_bytes);
    if (records.size() % record_bytes != 0) return std::nullopt;
    MacInput buffer;
    const auto input = mac_input(context, records, buffer);
    if (input.empty() || !key.verify(input, message.last(report::mac_bytes))) return std::nullopt;
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
        put_record(at, record);
        at += handover_record_bytes;
    }
    return seal(out, header, records_bytes, detail::persistence_context, key);
}

std::size_t write_latency_handover(std::span<std::uint8_t> out, std::span<const LatencyRecord> records,
                                   const report::Key& key) {
    if (records.size() > max_latency_records) return 0;
    const auto header = write_envelope_header(out, EnvelopeKind::latency, 0, {});
    const auto records_bytes = records.size() * latency_record_bytes;
    if (header == 0 || out.size() < header + records_bytes + report::mac_bytes) return 0;
    auto* at = out.data() + header;
    for (const auto& record : records) {
        put_record(at, record);
        at += latency_record_bytes;
    }
    return seal(out, header, records_bytes, detail::latency_context, key);
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

    bool send(const net::IpAddress& to, std::uint16_t port, std::span<const std::uint8_t> datagram) {
        if (fd_ < 0) return false;
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

// Records waiting for their owner, sent a datagram's worth at a time as a table walk goes on,
// so that memory holds one stretch of the table, never all of it (a departing server sends
// everything it holds: for 1M prefixes and 16 POPs that would be ~400 MB at once).
template <typename Record, std::size_t per_datagram, auto write>
class OwnerQueues {
public:
    OwnerQueues(Sender& sender, const Ring& ring, std::size_t& entries, HandoverResult& result)
        : sender_(sender), ring_(ring), entries_(entries), result_(result), queues_(ring.size()) {}

    void add(std::size_t owner, const Record& record) { queues_[owner].push_back(record); }
    // Sends every full datagram's worth, or everything with `all`.
    void send(bool all) {
        for (std::size_t owner = 0; owner < queues_.size(); ++owner) {
            auto& queue = queues_[owner];
            std::size_t first = 0;
            for (; first < queue.size() && (all || queue.size() - first >= per_datagram); first += per_datagram) {
                const auto count = std::min(per_datagram, queue.size() - first);
                send_one(owner, std::span(queue).subspan(first, count));
            }
            queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(std::min(first, queue.size())));
        }
    }

private:
    void send_one(std::size_t owner, std::span<const Record> records) {
        std::array<std::uint8_t, max_handover_datagram_bytes> datagram{};
        const auto size = ring_.key() ? write(datagram, records, *ring_.key()) : 0;
        if (size > 0 && sender_.send(ring_.member(owner).address, ring_.port(), std::span(datagram).first(size))) {
            entries_ += records.size();
            ++result_.datagrams;
        } else {
            ++result_.failed;
        }
    }

    Sender& sender_;
    const Ring& ring_;
    std::size_t& entries_;
    HandoverResult& result_;
    std::vector<std::vector<Record>> queues_;
};

// `keep_own`: what the ring's self owns stays (it is this server's own).
HandoverResult send_to_owners(const Ring& ring, const net::IpAddress& local, const ClientStateView& source,
                              std::int64_t now_ms, bool keep_own) {
    HandoverResult result;
    Sender sender(local);  // without a socket (or a key) every datagram counts as refused
    OwnerQueues<gslb::PersistenceTable::Held, max_handover_records, write_handover> persistence(
        sender, ring, result.persistence_entries, result);
    OwnerQueues<LatencyRecord, max_latency_records, write_latency_handover> latency(sender, ring,
                                                                                      result.latency_entries, result);
    const auto owner_of = [&](std::uint64_t prefix_key) -> std::optional<std::size_t> {
        const auto owner = ring.owner(prefix_key);
        if (keep_own && owner == ring.self()) return std::nullopt;
        return owner;
    };
    source.walk(
        now_ms,
        [&](const gslb::PersistenceTable::Held& held) {
            if (const auto owner = owner_of(held.client_key)) persistence.add(*owner, held);
        },
        [&](const LatencyRecord& record) {
            if (const auto owner = owner_of(record.prefix_key)) latency.add(*owner, record);
        },
        [&] {
            persistence.send(false);
            latency.send(false);
        });
    persistence.send(true);
    latency.send(true);
    return result;
}

}  // namespace

HandoverResult hand_over(const Ring& ring, const ClientStateView& source, std::int64_t now_ms) {
    return send_to_owners(ring, ring.member(ring.self()).address, source, now_ms, true);
}

HandoverResult hand_over_departing(const Ring& remaining, const net::IpAddress& from, const ClientStateView& source,
                                   std::int64_t now_ms) {
    return send_to_owners(remaining, from, source, now_ms, false);
}

}  // namespace udn::dns::cluster
