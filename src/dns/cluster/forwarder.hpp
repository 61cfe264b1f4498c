// One per UDP worker and one for the TCP server: sends GSLB queries whose client prefix another
// DNS server owns to that owner (ports.dns_cluster), relays the owner's answers to the clients,
// and hands back queries the owner did not answer in time so the worker answers them itself. Fixed slots, no
// allocation per query and no locks: it lives on its worker's thread. An owner that misses
// `suspend_after_misses` answers in a row is skipped for `suspend_ms` (its prefixes go to their
// second choice), so a dead server costs its clients one timeout each only until it is noticed.
#pragma once
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>

#include "common/net/ip_address.hpp"
#include "dns/cluster/envelope.hpp"
#include "dns/cluster/ring.hpp"

namespace udn::dns::cluster {

struct ForwarderCounters {
    std::atomic<std::uint64_t> forwarded{0};  // queries sent to their owner
    std::atomic<std::uint64_t> relayed{0};    // owners' answers relayed to clients
    std::atomic<std::uint64_t> timeouts{0};   // answered locally after the owner stayed silent
    std::atomic<std::uint64_t> busy{0};       // answered locally: every slot in use or send failed
    std::atomic<std::uint64_t> stray{0};      // answer datagrams matching no waiting query
    std::atomic<std::uint64_t> suspended{0};  // times an owner was suspended after misses
    // Sends to an owner the kernel refused (each answered locally at once).
    std::atomic<std::uint64_t> refused{0};
};

// A forwarded query, as its answer or its timeout hands it back.
struct WaitingQuery {
    std::span<const std::uint8_t> query;
    const net::IpAddress& client;
    int reply_fd;
    const sockaddr_storage& peer;  // datagram queries: where the answer goes
    socklen_t peer_length;
    std::uint64_t connection_id;  // stream queries: the connection (its fd may be reused), else 0
};

// Where an owner's answer goes. Datagram queries' answers are sent to the client's address
// (relay_answers() without a sink); the TCP server appends them to the client's connection.
class AnswerSink {
public:
    virtual void deliver(const WaitingQuery& waiting, std::span<const std::uint8_t> answer) = 0;

protected:
    ~AnswerSink() = default;
};

class Forwarder {
public:
    static constexpr std::size_t slot_count = 512;
    static constexpr std::size_t max_query_bytes = 512;  // larger queries are answered locally
    static constexpr std::uint32_t suspend_after_misses = 3;
    static constexpr std::int64_t suspend_ms = 10000;

    // Binds an ephemeral UDP port on `local` (this server's address in the ring's family).
    explicit Forwarder(const net::IpAddress& local);
    ~Forwarder();
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    int fd() const { return fd_; }
    const ForwarderCounters& counters() const { return counters_; }

    // False while `member` is suspended for missed answers.
    bool usable(const Ring& ring, std::size_t member, std::int64_t now_ms) const;

    // Queues `query` for `owner`; false (and nothing queued) when it cannot be forwarded, so the
    // caller answers it. Queued queries leave on flush().
    bool forward(const Ring& ring, std::size_t owner, std::span<const std::uint8_t> query,
                 const net::IpAddress& client, int reply_fd, const sockaddr_storage& peer,
                 socklen_t peer_length, std::int64_t now_ms);
    // The same for a query that came over TCP: the owner answers it without the UDP size limit,
    // and the answer is handed to the sink with `connection_id`.
    bool forward_stream(const Ring& ring, std::size_t owner, std::span<const std::uint8_t> query,
                        const net::IpAddress& client, int reply_fd, std::uint64_t connection_id,
                        std::int64_t now_ms);
    void flush();

    // Reads the owners' answers waiting on fd() and sends each to its client's address.
    void relay_answers();
    // Reads the owners' answers waiting on fd() and hands each to `sink`.
    void relay_answers(AnswerSink& sink);

    // Calls `answer_locally(WaitingQuery)` for every query whose owner missed its deadline, or
    // that the kernel refused to send (flush() makes those due at once). It may forward new
    // queries meanwhile.
    template <typename AnswerLocally>
    void expire(std::int64_t now_ms, const AnswerLocally& answer_locally) {
        if (now_ms < next_deadline_ms_) return;
        next_deadline_ms_ = std::numeric_limits<std::int64_t>::max();
        std::int64_t next = std::numeric_limits<std::int64_t>::max();
        for (std::size_t i = 0; i < slot_count; ++i) {
            auto& slot = slots_[i];
            if (!slot.used) continue;
            if (slot.deadline_ms > now_ms) {
                next = std::min(next, slot.deadline_ms);
                continue;
            }
            if (!slot.refused) counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
            note_miss(slot.owner_seed, now_ms);
            // Answering may forward again (a TCP connection's next query): that takes another
            // slot (this one is still in use) and lowers next_deadline_ms_ itself.
            answer_locally(WaitingQuery{{slot.query.data(), slot.query_size},
                                        slot.client,
                                        slot.reply_fd,
                                        slot.peer,
                                        slot.peer_length,
                                        slot.connection_id});
            release(i);
        }
        next_deadline_ms_ = std::min(next_deadline_ms_, next);
    }
    std::int64_t next_deadline_ms() const { return next_deadline_ms_; }

private:
    struct Slot {
        bool used = false;
        bool refused = false;  // the kernel refused to send it: due at once, not a timeout
        std::uint16_t generation = 0;
        std::uint16_t query_size = 0;
        std::int64_t deadline_ms = 0;
        std::uint64_t owner_seed = 0;
        net::IpAddress owner;
        net::IpAddress client;
        int reply_fd = -1;
        std::uint64_t connection_id = 0;
        socklen_t peer_length = 0;
        sockaddr_storage peer{};
        std::array<std::uint8_t, max_query_bytes> query{};
    };
    struct Health {
        std::uint64_t seed = 0;
        std::uint32_t misses = 0;
        std::int64_t suspended_until_ms = 0;
    };
    struct Outgoing;

    Slot* take_slot(const Ring& ring, std::size_t owner, std::span<const std::uint8_t> query,
                    std::int64_t now_ms);
    void queue_envelope(const Ring& ring, const Slot& slot, std::size_t index, EnvelopeKind kind,
                        std::span<const std::uint8_t> query);
    void release(std::size_t index);
    Health* health_of(std::uint64_t seed, bool create);
    void note_miss(std::uint64_t seed, std::int64_t now_ms);

    int fd_ = -1;
    std::unique_ptr<std::array<Slot, slot_count>> slot_storage_;
    std::array<Slot, slot_count>& slots_;
    std::array<std::uint16_t, slot_count> free_{};
    std::size_t free_count_ = 0;
    std::array<Health, 64> health_{};
    std::unique_ptr<Outgoing> outgoing_;
    std::int64_t next_deadline_ms_ = std::numeric_limits<std::int64_t>::max();
    ForwarderCounters counters_;
};

}  // namespace udn::dns::cluster
