#include "dns/server/udp_worker.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "common/net/send_batch.hpp"
#include "common/runtime/thread_name.hpp"
#include "dns/cluster/envelope.hpp"
#include "dns/cluster/handover.hpp"
#include "dns/server/socket_util.hpp"

namespace udn::dns::server {
namespace {

constexpr std::size_t batch_size = 64;
constexpr std::size_t query_buffer_bytes = 4096;
constexpr std::size_t answer_buffer_bytes = 4096;
constexpr int poll_timeout_ms_max = 200;  // how quickly stop() is noticed

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct UdpWorker::Buffers {
    std::array<std::array<std::uint8_t, query_buffer_bytes>, batch_size> queries{};
    std::array<std::array<std::uint8_t, answer_buffer_bytes>, batch_size> answers{};
    std::array<sockaddr_storage, batch_size> peers{};
    std::array<iovec, batch_size> query_iov{};
    std::array<iovec, batch_size> answer_iov{};
    std::array<mmsghdr, batch_size> in{};
    std::array<mmsghdr, batch_size> out{};
    QueryInfo info;
    std::size_t last_received = 0;  // headers the kernel wrote into since they were reset

    // Every header points at its own buffers for good; a batch changes only lengths and peers.
    Buffers() {
        for (std::size_t i = 0; i < batch_size; ++i) {
            query_iov[i] = {queries[i].data(), queries[i].size()};
            in[i].msg_hdr.msg_name = &peers[i];
            in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            in[i].msg_hdr.msg_iov = &query_iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
            answer_iov[i].iov_base = answers[i].data();
            out[i].msg_hdr.msg_iov = &answer_iov[i];
            out[i].msg_hdr.msg_iovlen = 1;
        }
    }

    // The kernel writes only msg_namelen, msg_flags and msg_len back (and reads no msg_flags), so
    // only the name lengths the last batch used are reset: rebuilding whole headers cost ~10
    // instructions a datagram, and rebuilding all 64 per call more than parsing the queries.
    int receive(int fd, int flags) {
        for (std::size_t i = 0; i < last_received; ++i)
            in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        const int received = ::recvmmsg(fd, in.data(), batch_size, flags, nullptr);
        last_received = received > 0 ? static_cast<std::size_t>(received) : 0;
        return received;
    }

    // Queues answers[slot] (size bytes) to the sender of datagram `from`.
    void queue_answer(std::size_t slot, std::size_t from, std::size_t size) {
        answer_iov[slot].iov_len = size;
        out[slot].msg_hdr.msg_name = &peers[from];
        out[slot].msg_hdr.msg_namelen = in[from].msg_hdr.msg_namelen;
    }

    // Returns how many of the `count` queued answers the kernel refused.
    std::size_t send(int fd, std::size_t count) {
        return net::send_batch(fd, std::span(out.data(), count));
    }
};

UdpWorker::UdpWorker(std::size_t index, SharedState& shared, const std::vector<net::Endpoint>& endpoints,
                     const std::vector<net::Endpoint>& cluster_endpoints, QuerySink& sink)
    : index_(index), shared_(shared), handler_(shared, fresh_handler_seed(index)),
      sink_(sink), buffers_(std::make_unique<Buffers>()) {
    try {
        for (const auto& endpoint : endpoints) fds_.push_back(bind_udp(endpoint, true));
        for (const auto& endpoint : cluster_endpoints) cluster_fds_.push_back(bind_udp(endpoint, true));
        if (!cluster_endpoints.empty()) forwarder_ = std::make_unique<cluster::Forwarder>(cluster_endpoints.front().address);
        // A blocking receive (one client socket, no cluster) wakes up this often to notice stop().
        const timeval timeout{0, poll_timeout_ms_max * 1000};
        for (const int fd : fds_) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    } catch (...) {
        for (const int fd : fds_) ::close(fd);
        for (const int fd : cluster_fds_) ::close(fd);
        throw;
    }
}

UdpWorker::~UdpWorker() {
    stop();
    for (const int fd : fds_) ::close(fd);
    for (const int fd : cluster_fds_) ::close(fd);
}

void UdpWorker::start() {
    thread_ = std::thread([this] {
        runtime::name_this_thread("udn-dns-udp" + std::to_string(index_));
        run();
    });
}

void UdpWorker::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

int UdpWorker::poll_timeout_ms(std::int64_t now_ms) const {
    if (!forwarder_) return poll_timeout_ms_max;
    const auto until_deadline = forwarder_->next_deadline_ms() - now_ms;
    return static_cast<int>(std::clamp<std::int64_t>(until_deadline, 0, poll_timeout_ms_max));
}

void UdpWorker::run() {
    if (fds_.size() == 1 && cluster_fds_.empty() && !forwarder_) {
        // Blocks until the first datagram, then takes whatever else is queued (or times out):
        // one system call per batch instead of poll + recvmmsg.
        while (!stopping_.load(std::memory_order_relaxed)) serve_batch(fds_.front(), MSG_WAITFORONE);
        return;
    }
    std::vector<pollfd> polls;
    for (const int fd : fds_) polls.push_back({fd, POLLIN, 0});
    for (const int fd : cluster_fds_) polls.push_back({fd, POLLIN, 0});
    if (forwarder_) polls.push_back({forwarder_->fd(), POLLIN, 0});
    const auto cluster_begin = fds_.size();
    const auto cluster_end = cluster_begin + cluster_fds_.size();
    while (!stopping_.load(std::memory_order_relaxed)) {
        const int ready = ::poll(polls.data(), polls.size(), poll_timeout_ms(wall_clock_ms()));
        if (ready > 0) {
            for (std::size_t i = 0; i < polls.size(); ++i) {
                if ((polls[i].revents & POLLIN) == 0) continue;
                if (i < cluster_begin) {
                    while (serve_batch(polls[i].fd, MSG_DONTWAIT) == batch_size) {
                    }
                } else if (i < cluster_end) {
                    serve_forwarded(polls[i].fd);
                } else {
                    forwarder_->relay_answers();
                }
            }
        }
        if (forwarder_) answer_expired(wall_clock_ms());
    }
}

std::size_t UdpWorker::serve_batch(int fd, int flags) {
    auto& b = *buffers_;
    const int received = b.receive(fd, flags);
    if (received <= 0) return 0;
    const auto now_ms = wall_clock_ms();
    std::size_t answers = 0;
    for (int i = 0; i < received; ++i) {
        const auto source = net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&b.peers[i]));
        if (!source) continue;
        const std::span<const std::uint8_t> query(b.queries[i].data(), b.in[i].msg_len);
        auto size = handler_.handle(query, *source, Transport::udp, b.answers[answers], now_ms, b.info, forwarder_.get());
        if (b.info.forward_to >= 0) {
            // The owner answers and logs it; if it cannot be reached, this server decides.
            if (forwarder_->forward(*b.info.forward_ring, static_cast<std::size_t>(b.info.forward_to), query, *source,
                                    fd, b.peers[i], b.in[i].msg_hdr.msg_namelen, now_ms)) {
                continue;
            }
            size = handler_.handle(query, *source, Transport::udp, b.answers[answers], now_ms, b.info);
        }
        sink_.on_query(index_, b.info, *source, Transport::udp, now_ms);
        if (size == 0) continue;
        b.queue_answer(answers, static_cast<std::size_t>(i), size);
        ++answers;
    }
    if (forwarder_) forwarder_->flush();
    count_unsent(b.send(fd, answers));
    return static_cast<std::size_t>(received);
}

// Queries another DNS server forwarded because this one owns their client: answered for the
// client named in the envelope, back to the forwarding server.
void UdpWorker::serve_forwarded(int fd) {
    auto& b = *buffers_;
    const int received = b.receive(fd, MSG_DONTWAIT);
    if (received <= 0) return;
    const auto now_ms = wall_clock_ms();
    const auto serving = handler_.serving();
    const auto* ring = serving->ring.get();
    std::size_t answers = 0;
    for (int i = 0; i < received; ++i) {
        const auto source = net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&b.peers[i]));
        const auto envelope = cluster::parse_envelope({b.queries[i].data(), b.in[i].msg_len});
        // Only ring members may have their clients answered here (anyone else gets nothing);
        // a member the last reload removed may still hand its client state over for a while.
        const bool member = source && ring != nullptr && ring->member_at(*source);
        const bool departed = source && envelope && cluster::is_handover(envelope->kind) &&
                              serving->previous_ring && now_ms < serving->previous_ring_until_ms &&
                              serving->previous_ring->member_at(*source);
        if (!envelope || !(member || departed)) {
            rejected_envelopes_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (envelope->kind == cluster::EnvelopeKind::persistence) {
            // Taken whoever owns the client by this server's ring: during a push the servers'
            // rings differ for a moment, and an entry kept here harms nothing.
            // The key of the ring the sender is in (a push may change the key with the ring).
            const auto& key = member ? ring->key() : serving->previous_ring->key();
            const bool whole = key && cluster::read_handover(envelope->message, *key, [&](const gslb::PersistenceTable::Held& held) {
                if (shared_.persistence.adopt(held.domain, held.client_key, held.candidate, held.expires_at_ms, now_ms))
                    persistence_adopted_.fetch_add(1, std::memory_order_relaxed);
            });
            if (!whole) rejected_envelopes_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (envelope->kind == cluster::EnvelopeKind::latency) {
            adopt_latency(*serving, envelope->message, member ? ring->key() : serving->previous_ring->key(), now_ms);
            continue;
        }
        if (!cluster::is_query(envelope->kind)) {
            rejected_envelopes_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        // A TCP client's query is answered as over TCP, up to what the answer datagram holds (an
        // answer that does not fit comes back truncated and the forwarder answers it itself).
        const auto transport = envelope->kind == cluster::EnvelopeKind::stream_query ? Transport::tcp : Transport::udp;
        auto& out = b.answers[answers];
        const auto header = cluster::write_envelope_header(out, cluster::EnvelopeKind::answer, envelope->tag, {});
        const auto size = handler_.handle(envelope->message, envelope->client, transport,
                                          std::span<std::uint8_t>(out).subspan(header), now_ms, b.info);
        sink_.on_query(index_, b.info, envelope->client, transport, now_ms);
        if (size == 0) continue;
        b.queue_answer(answers, static_cast<std::size_t>(i), header + size);
        ++answers;
        served_for_peers_.fetch_add(1, std::memory_order_relaxed);
    }
    count_unsent(b.send(fd, answers));
}

// Latency measurements another DNS server held for clients this one owns now.
void UdpWorker::adopt_latency(const ServingState& serving, std::span<const std::uint8_t> message,
                              const std::optional<report::Key>& key, std::int64_t now_ms) {
    const auto now_s = static_cast<std::uint32_t>(now_ms / 1000);
    const bool whole = key && cluster::read_latency_handover(message, *key, [&](const cluster::LatencyRecord& record) {
        if (serving.adopt_latency(shared_.latency, record, now_s)) latency_adopted_.fetch_add(1, std::memory_order_relaxed);
    });
    if (!whole) rejected_envelopes_.fetch_add(1, std::memory_order_relaxed);
}

void UdpWorker::answer_expired(std::int64_t now_ms) {
    auto& b = *buffers_;
    forwarder_->expire(now_ms, [&](const cluster::WaitingQuery& expired) {
        const auto size =
            handler_.handle(expired.query, expired.client, Transport::udp, b.answers[0], now_ms, b.info);
        sink_.on_query(index_, b.info, expired.client, Transport::udp, now_ms);
        if (size == 0) return;
        if (::sendto(expired.reply_fd, b.answers[0].data(), size, 0,
                     reinterpret_cast<const sockaddr*>(&expired.peer), expired.peer_length) < 0) {
            count_unsent(1);
        }
    });
}

}  // namespace udn::dns::server
