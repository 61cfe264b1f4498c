#include "dns/cluster/forwarder.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/net/send_batch.hpp"
#include "dns/cluster/envelope.hpp"

namespace udn::dns::cluster {
namespace {

constexpr std::size_t batch_size = 32;
constexpr std::size_t datagram_bytes = 4096;

// Datagram queries: the answer goes to the client's address from the socket it asked on.
class DatagramReply final : public AnswerSink {
public:
    void deliver(const WaitingQuery& waiting, std::span<const std::uint8_t> answer) override {
        ::sendto(waiting.reply_fd, answer.data(), answer.size(), 0,
                 reinterpret_cast<const sockaddr*>(&waiting.peer), waiting.peer_length);
    }
};

}  // namespace

// Forwarded queries of one batch leave in one sendmmsg; answers arrive in one recvmmsg.
struct Forwarder::Outgoing {
    std::array<std::array<std::uint8_t, max_envelope_header_bytes + max_query_bytes>, batch_size>
        datagrams{};
    std::array<sockaddr_storage, batch_size> owners{};
    std::array<iovec, batch_size> iov{};
    std::array<mmsghdr, batch_size> messages{};
    std::array<std::uint16_t, batch_size> slot_of{};  // the slot each message was queued for
    std::size_t count = 0;
    std::array<std::array<std::uint8_t, datagram_bytes>, batch_size> answers{};
    std::array<sockaddr_storage, batch_size> sources{};
    std::array<iovec, batch_size> answer_iov{};
    std::array<mmsghdr, batch_size> answer_messages{};
};

Forwarder::Forwarder(const net::IpAddress& local)
    : slot_storage_(std::make_unique<std::array<Slot, slot_count>>()),
      slots_(*slot_storage_),
      outgoing_(std::make_unique<Outgoing>()) {
    fd_ =
        ::socket(local.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("dns cluster: socket: ") + std::strerror(errno));
    sockaddr_storage address{};
    const auto length = local.to_sockaddr(0, address);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        const int error = errno;
        ::close(fd_);
        throw std::runtime_error("dns cluster: bind " + local.to_string() + ": " +
                                 std::strerror(error));
    }
    for (std::size_t i = 0; i < slot_count; ++i)
        free_[i] = static_cast<std::uint16_t>(slot_count - 1 - i);
    free_count_ = slot_count;
}

Forwarder::~Forwarder() {
    if (fd_ >= 0) ::close(fd_);
}

Forwarder::Health* Forwarder::health_of(std::uint64_t seed, bool create) {
    Health* empty = nullptr;
    for (auto& health : health_) {
        if (health.seed == seed) return &health;
        if (health.seed == 0 && empty == nullptr) empty = &health;
    }
    if (!create || empty == nullptr) return nullptr;
    empty->seed = seed;
    return empty;
}

bool Forwarder::usable(const Ring& ring, std::size_t member, std::int64_t now_ms) const {
    const auto seed = ring.member(member).seed;
    for (const auto& health : health_) {
        if (health.seed == seed) return health.suspended_until_ms <= now_ms;
    }
    return true;
}

void Forwarder::note_miss(std::uint64_t seed, std::int64_t now_ms) {
    auto* health = health_of(seed, true);
    if (health == nullptr) return;
    if (++health->misses >= suspend_after_misses) {
        health->misses = 0;
        health->suspended_until_ms = now_ms + suspend_ms;
        counters_.suspended.fetch_add(1, std::memory_order_relaxed);
    }
}

Forwarder::Slot* Forwarder::take_slot(const Ring& ring, std::size_t owner,
                                      std::span<const std::uint8_t> query, std::int64_t now_ms) {
    if (query.size() > max_query_bytes || free_count_ == 0 || outgoing_->count == batch_size) {
        counters_.busy.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    auto& slot = slots_[free_[--free_count_]];
    slot.used = true;
    slot.refused = false;
    slot.generation = static_cast<std::uint16_t>(slot.generation + 1);
    slot.query_size = static_cast<std::uint16_t>(query.size());
    std::memcpy(slot.query.data(), query.data(), query.size());
    slot.deadline_ms = now_ms + ring.forward_timeout_ms();
    slot.owner_seed = ring.member(owner).seed;
    slot.owner = ring.member(owner).address;
    slot.connection_id = 0;
    slot.peer_length = 0;
    next_deadline_ms_ = std::min(next_deadline_ms_, slot.deadline_ms);
    return &slot;
}

void Forwarder::queue_envelope(const Ring& ring, const Slot& slot, std::size_t index,
                               EnvelopeKind kind, std::span<const std::uint8_t> query) {
    auto& out = *outgoing_;
    const std::uint32_t tag = (static_cast<std::uint32_t>(slot.generation) << 16) | index;
    auto& datagram = out.datagrams[out.count];
    const auto header = write_envelope_header(datagram, kind, tag, slot.client);
    std::memcpy(datagram.data() + header, query.data(), query.size());
    out.iov[out.count] = {datagram.data(), header + query.size()};
    auto& message = out.messages[out.count];
    message.msg_hdr = {};
    message.msg_hdr.msg_name = &out.owners[out.count];
    message.msg_hdr.msg_namelen = slot.owner.to_sockaddr(ring.port(), out.owners[out.count]);
    message.msg_hdr.msg_iov = &out.iov[out.count];
    message.msg_hdr.msg_iovlen = 1;
    out.slot_of[out.count] = static_cast<std::uint16_t>(index);
    ++out.count;
    counters_.forwarded.fetch_add(1, std::memory_order_relaxed);
}

bool Forwarder::forward(const Ring& ring, std::size_t owner, std::span<const std::uint8_t> query,
                        const net::IpAddress& client, int reply_fd, const sockaddr_storage& peer,
                        socklen_t peer_length, std::int64_t now_ms) {
    if (peer_length > sizeof(sockaddr_storage)) {
        counters_.busy.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    auto* slot = take_slot(ring, owner, query, now_ms);
    if (slot == nullptr) return false;
    slot->client = client;
    slot->reply_fd = reply_fd;
    slot->peer_length = peer_length;
    std::memcpy(&slot->peer, &peer, peer_length);
    queue_envelope(ring, *slot, static_cast<std::size_t>(slot - slots_.data()), EnvelopeKind::query,
                   query);
    return true;
}

bool Forwarder::forward_stream(const Ring& ring, std::size_t owner,
                               std::span<const std::uint8_t> query, const net::IpAddress& client,
                               int reply_fd, std::uint64_t connection_id, std::int64_t now_ms) {
    auto* slot = take_slot(ring, owner, query, now_ms);
    if (slot == nullptr) return false;
    slot->client = client;
    slot->reply_fd = reply_fd;
    slot->connection_id = connection_id;
    queue_envelope(ring, *slot, static_cast<std::size_t>(slot - slots_.data()),
                   EnvelopeKind::stream_query, query);
    return true;
}

void Forwarder::flush() {
    auto& out = *outgoing_;
    // The queries after a refused one still go to their owners. The refused one (no route to its
    // owner, a full socket buffer) is answered locally by the next expire() rather than after the
    // forward timeout, and counts as a miss of its owner, so one that cannot be reached is
    // suspended like a silent one.
    const auto batch = std::span(out.messages.data(), out.count);
    if (net::send_batch(fd_, batch) != 0) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch[i].msg_len != 0) continue;
            auto& slot = slots_[out.slot_of[i]];
            slot.refused = true;
            slot.deadline_ms = 0;  // before any clock's now
            next_deadline_ms_ = 0;
            counters_.refused.fetch_add(1, std::memory_order_relaxed);
        }
    }
    out.count = 0;
}

void Forwarder::release(std::size_t index) {
    slots_[index].used = false;
    free_[free_count_++] = static_cast<std::uint16_t>(index);
}

void Forwarder::relay_answers() {
    DatagramReply reply;
    relay_answers(reply);
}

void Forwarder::relay_answers(AnswerSink& sink) {
    auto& in = *outgoing_;
    for (std::size_t i = 0; i < batch_size; ++i) {
        in.answer_iov[i] = {in.answers[i].data(), in.answers[i].size()};
        in.answer_messages[i].msg_hdr = {};
        in.answer_messages[i].msg_hdr.msg_name = &in.sources[i];
        in.answer_messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        in.answer_messages[i].msg_hdr.msg_iov = &in.answer_iov[i];
        in.answer_messages[i].msg_hdr.msg_iovlen = 1;
    }
    const int received =
        ::recvmmsg(fd_, in.answer_messages.data(), batch_size, MSG_DONTWAIT, nullptr);
    for (int i = 0; i < received; ++i) {
        const auto envelope = parse_envelope({in.answers[i].data(), in.answer_messages[i].msg_len});
        const auto source =
            net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&in.sources[i]));
        const auto index = envelope ? (envelope->tag & 0xFFFFu) : slot_count;
        if (!envelope || !source || envelope->kind != EnvelopeKind::answer || index >= slot_count) {
            counters_.stray.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        auto& slot = slots_[index];
        const auto& message = envelope->message;
        // The answer must come from the owner asked, for this use of the slot, with the query's ID.
        if (!slot.used || slot.generation != (envelope->tag >> 16) || slot.owner != *source ||
            message[0] != slot.query[0] || message[1] != slot.query[1]) {
            counters_.stray.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (auto* health = health_of(slot.owner_seed, false)) health->misses = 0;
        counters_.relayed.fetch_add(1, std::memory_order_relaxed);
        sink.deliver(WaitingQuery{{slot.query.data(), slot.query_size},
                                  slot.client,
                                  slot.reply_fd,
                                  slot.peer,
                                  slot.peer_length,
                                  slot.connection_id},
                     message);
        release(index);
    }
}

}  // namespace udn::dns::cluster
