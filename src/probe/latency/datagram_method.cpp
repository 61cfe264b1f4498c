#include "probe/latency/datagram_method.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>

#include "probe/latency/entropy.hpp"
#include "probe/latency/series_run.hpp"

namespace udn::probe::latency {
namespace {

using Family = udn::net::IpAddress::Family;

// A datagram's bytes, at most: DNS answers without EDNS fit in 512, ICMP echo replies are ours.
constexpr std::size_t max_datagram_bytes = 4096;
// Datagrams read per readiness event, so that one busy socket cannot starve the reactor's timers.
constexpr int max_reads_per_event = 256;
// Replies to thousands of probes sent in one round arrive together: room for them in the kernel
// (capped by net.core.rmem_max unless we may force it), or they are dropped and counted as loss.
constexpr int receive_buffer_bytes = 8 << 20;

std::size_t index_of(Family family) { return family == Family::v4 ? 0 : 1; }

// A recvmsg header for one datagram into `data`, its ancillary data into `control`, and the
// address (the sender, or for the error queue the probe's destination) into `peer`.
msghdr receive_header(sockaddr_storage& peer, iovec& data, std::span<std::uint8_t> control) {
    msghdr message{};
    message.msg_name = &peer;
    message.msg_namelen = sizeof peer;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    return message;
}

std::int64_t wall_clock_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// The socket's count of datagrams dropped for want of buffer space (SO_RXQ_OVFL), if given.
std::optional<std::uint32_t> dropped_so_far(msghdr& message) {
    for (auto* item = CMSG_FIRSTHDR(&message); item; item = CMSG_NXTHDR(&message, item)) {
        if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SO_RXQ_OVFL &&
            item->cmsg_len >= CMSG_LEN(sizeof(std::uint32_t))) {
            std::uint32_t dropped = 0;
            std::memcpy(&dropped, CMSG_DATA(item), sizeof dropped);
            return dropped;
        }
    }
    return std::nullopt;
}

// The kernel's receive time of a datagram (SO_TIMESTAMPNS), so that a round trip does not grow by
// the time the reply waited while the loop was busy sending other probes.
std::optional<std::int64_t> received_at_ns(msghdr& message) {
    for (auto* item = CMSG_FIRSTHDR(&message); item; item = CMSG_NXTHDR(&message, item)) {
        if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SCM_TIMESTAMPNS &&
            item->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            timespec at{};
            std::memcpy(&at, CMSG_DATA(item), sizeof at);
            return std::int64_t{at.tv_sec} * 1'000'000'000 + at.tv_nsec;
        }
    }
    return std::nullopt;
}

// True when an error-queue message is an ICMP destination unreachable (port, host, network,
// prohibited): nothing will answer that client on this port.
bool unreachable_error(msghdr& message) {
    for (auto* item = CMSG_FIRSTHDR(&message); item; item = CMSG_NXTHDR(&message, item)) {
        const bool v4 = item->cmsg_level == SOL_IP && item->cmsg_type == IP_RECVERR;
        const bool v6 = item->cmsg_level == SOL_IPV6 && item->cmsg_type == IPV6_RECVERR;
        if ((!v4 && !v6) || item->cmsg_len < CMSG_LEN(sizeof(sock_extended_err))) continue;
        sock_extended_err error{};
        std::memcpy(&error, CMSG_DATA(item), sizeof error);
        if (v4) return error.ee_origin == SO_EE_ORIGIN_ICMP && error.ee_type == 3;
        return error.ee_origin == SO_EE_ORIGIN_ICMP6 && error.ee_type == 1;
    }
    return false;
}

struct ReplyKey {
    udn::net::IpAddress address;
    std::uint16_t port = 0;
    std::uint16_t token = 0;
    bool operator==(const ReplyKey&) const = default;
};

// Seeded, so that nobody choosing the clients we probe can aim them all at one bucket.
struct ReplyKeyHash {
    std::uint64_t seed = 0;
    static std::uint64_t mix(std::uint64_t value) {
        value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
        value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
        return value ^ (value >> 31);
    }
    std::size_t operator()(const ReplyKey& key) const {
        std::uint64_t high = 0;
        std::uint64_t low = 0;
        std::memcpy(&high, key.address.bytes().data(), sizeof high);
        std::memcpy(&low, key.address.bytes().data() + sizeof high, sizeof low);
        const std::uint64_t rest = std::uint64_t{key.port} << 16 | key.token | (key.address.is_v4() ? 0 : 1ULL << 32);
        return mix(mix(seed ^ rest ^ high) ^ low);
    }
};

class DatagramMethod : public Method {
public:
    DatagramMethod(net::Reactor& reactor, std::unique_ptr<DatagramProtocol> protocol)
        : reactor_(reactor), protocol_(std::move(protocol)), in_flight_probes_(0, ReplyKeyHash{entropy_.next_u64()}) {}

    ~DatagramMethod() override {
        runs_.clear();
        for (auto& family : sockets_) {
            for (auto& socket : family) reactor_.unwatch(socket.get());
        }
    }

    report::LatencyMethod id() const override { return protocol_->id(); }
    std::size_t in_flight() const override { return runs_.size(); }
    std::uint64_t receive_drops() const override {
        return dropped_[0].load(std::memory_order_relaxed) + dropped_[1].load(std::memory_order_relaxed);
    }

    void start(const udn::net::IpAddress& client, const Plan& plan, SeriesDone done) override {
        // Without a socket every attempt is lost (nothing is sent), reported like any series.
        auto run = std::make_unique<Run>(*this, client, open_sockets(client.family()), plan);
        auto* raw = run.get();
        runs_.emplace(raw, std::move(run));
        raw->begin([this, done = std::move(done)](SeriesRun& over) {
            auto series = over.series();
            runs_.erase(&over);
            done(std::move(series));
        });
    }

private:
    class Run : public SeriesRun {
    public:
        Run(DatagramMethod& method, const udn::net::IpAddress& client, bool can_send, const Plan& plan)
            : SeriesRun(method.reactor_, plan),
              method_(method),
              client_(client),
              can_send_(can_send),
              tokens_(plan.attempts),
              sent_wall_ns_(plan.attempts) {}
        const udn::net::IpAddress& client() const { return client_; }
        std::int64_t sent_wall_ns(std::size_t attempt) const { return sent_wall_ns_[attempt]; }

    protected:
        bool send_attempt(std::size_t attempt) override {
            if (!can_send_) return false;
            const auto socket = method_.pick_socket(client_.family());
            const auto token = method_.register_probe(*this, attempt, socket);
            if (!token) return false;
            tokens_[attempt] = *token;
            sent_wall_ns_[attempt] = wall_clock_ns();
            return method_.send_probe(method_.sockets_[index_of(client_.family())][socket].get(), client_, *token);
        }
        void release_attempt(std::size_t attempt) override {
            if (tokens_[attempt]) method_.forget_probe(*this, attempt, *tokens_[attempt]);
        }

    private:
        DatagramMethod& method_;
        udn::net::IpAddress client_;
        bool can_send_;
        std::vector<std::optional<std::uint16_t>> tokens_;
        std::vector<std::int64_t> sent_wall_ns_;
    };

    struct InFlight {
        Run* run = nullptr;
        std::size_t attempt = 0;
        std::size_t socket = 0;  // a reply must come back to the socket its probe left from
    };

    // The family's sockets, opened on first use; false when none could be opened.
    bool open_sockets(Family family) {
        auto& sockets = sockets_[index_of(family)];
        if (!sockets.empty()) return true;
        for (std::size_t i = 0; i < protocol_->sockets_per_family(); ++i) {
            auto socket = protocol_->open_socket(family);
            if (!socket.valid()) break;
            const int one = 1;
            ::setsockopt(socket.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
            ::setsockopt(socket.get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
            if (::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes, sizeof receive_buffer_bytes) != 0) {
                ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
            }
            const int fd = socket.get();
            const auto index = sockets.size();
            if (!reactor_.watch(fd, EPOLLIN, [this, fd, family, index](std::uint32_t events) {
                    on_events(fd, family, index, events);
                })) {
                break;
            }
            sockets.push_back(std::move(socket));
        }
        return !sockets.empty();
    }

    std::size_t pick_socket(Family family) {
        const auto count = sockets_[index_of(family)].size();
        return count > 1 ? entropy_.next_u16() % count : 0;
    }

    // A token no probe in flight to this client carries; nullopt if none was found (after a few
    // tries, only with tens of thousands of probes in flight to one client).
    std::optional<std::uint16_t> register_probe(Run& run, std::size_t attempt, std::size_t socket) {
        for (int tries = 0; tries < 16; ++tries) {
            const auto token = protocol_->next_token();
            if (in_flight_probes_.try_emplace(ReplyKey{run.client(), protocol_->port(), token}, InFlight{&run, attempt, socket}).second) {
                return token;
            }
        }
        return std::nullopt;
    }

    void forget_probe(const Run& run, std::size_t attempt, std::uint16_t token) {
        auto found = in_flight_probes_.find(ReplyKey{run.client(), protocol_->port(), token});
        if (found != in_flight_probes_.end() && found->second.run == &run && found->second.attempt == attempt) {
            in_flight_probes_.erase(found);
        }
    }

    bool send_probe(int fd, const udn::net::IpAddress& client, std::uint16_t token) {
        std::array<std::uint8_t, 64> probe{};
        const auto size = protocol_->write_probe(token, client.family(), probe);
        if (size == 0) return false;
        sockaddr_storage to{};
        const auto length = client.to_sockaddr(protocol_->port(), to);
        return ::sendto(fd, probe.data(), size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), length) ==
               static_cast<ssize_t>(size);
    }

    void on_events(int fd, Family family, std::size_t socket, std::uint32_t events) {
        if (events & EPOLLERR) read_errors(fd, socket);
        if (events & (EPOLLIN | EPOLLERR)) read_replies(fd, family, socket);
    }

    void read_replies(int fd, Family family, std::size_t socket) {
        std::array<std::uint8_t, max_datagram_bytes> buffer{};
        alignas(cmsghdr) std::array<std::uint8_t, 256> control{};
        for (int reads = 0; reads < max_reads_per_event; ++reads) {
            sockaddr_storage from{};
            iovec data{buffer.data(), buffer.size()};
            auto message = receive_header(from, data, control);
            const auto size = ::recvmsg(fd, &message, MSG_DONTWAIT);
            if (size < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                continue;  // a pending socket error (an ICMP error), consumed by this call
            }
            if (const auto dropped = dropped_so_far(message)) dropped_[index_of(family)].store(*dropped, std::memory_order_relaxed);
            const auto source = net::endpoint_of(from);
            if (!source || (protocol_->port() != 0 && source->port != protocol_->port())) continue;
            const auto token = protocol_->read_reply(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(size)), family);
            if (!token) continue;
            const auto found = in_flight_probes_.find(ReplyKey{source->address, protocol_->port(), *token});
            if (found == in_flight_probes_.end() || found->second.socket != socket) continue;  // late, repeated or spoofed
            const auto probe = found->second;
            probe.run->answer(probe.attempt, rtt_us(*probe.run, probe.attempt, received_at_ns(message)));
        }
    }

    std::uint32_t rtt_us(const Run& run, std::size_t attempt, std::optional<std::int64_t> received_ns) const {
        std::int64_t micros = -1;
        if (received_ns) micros = (*received_ns - run.sent_wall_ns(attempt)) / 1000;
        // Without a kernel timestamp, or across a step of the wall clock: the loop's own clock.
        if (micros < 0 || micros > 3'600'000'000LL) {
            micros = std::chrono::duration_cast<std::chrono::microseconds>(reactor_.now() - run.sent_at(attempt)).count();
        }
        return static_cast<std::uint32_t>(std::clamp<std::int64_t>(micros, 1, UINT32_MAX));
    }

    // ICMP errors about our probes (IP_RECVERR): the original destination and probe come back.
    void read_errors(int fd, std::size_t socket) {
        std::array<std::uint8_t, 512> buffer{};
        alignas(cmsghdr) std::array<std::uint8_t, 512> control{};
        for (int reads = 0; reads < max_reads_per_event; ++reads) {
            sockaddr_storage destination{};
            iovec data{buffer.data(), buffer.size()};
            auto message = receive_header(destination, data, control);
            const auto size = ::recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT);
            if (size < 0) return;
            if (!unreachable_error(message)) continue;
            const auto to = net::endpoint_of(destination);
            const auto token = protocol_->read_returned_probe(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(size)));
            if (!to || !token || to->port != protocol_->port()) continue;
            const auto found = in_flight_probes_.find(ReplyKey{to->address, protocol_->port(), *token});
            if (found != in_flight_probes_.end() && found->second.socket == socket) found->second.run->end();
        }
    }

    net::Reactor& reactor_;
    std::unique_ptr<DatagramProtocol> protocol_;
    Entropy entropy_;
    std::array<std::vector<net::Fd>, 2> sockets_;  // IPv4, IPv6
    std::array<std::atomic<std::uint64_t>, 2> dropped_{};
    std::unordered_map<ReplyKey, InFlight, ReplyKeyHash> in_flight_probes_;
    std::unordered_map<const SeriesRun*, std::unique_ptr<Run>> runs_;
};

}  // namespace

std::unique_ptr<Method> make_datagram_method(net::Reactor& reactor, std::unique_ptr<DatagramProtocol> protocol) {
    return std::make_unique<DatagramMethod>(reactor, std::move(protocol));
}

}  // namespace udn::probe::latency
