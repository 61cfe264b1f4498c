#include "dns/server/udp_worker.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "dns/server/socket_util.hpp"

namespace udn::dns::server {
namespace {

constexpr std::size_t batch_size = 64;
constexpr std::size_t query_buffer_bytes = 4096;
constexpr std::size_t answer_buffer_bytes = 4096;
constexpr int stop_check_ms = 200;  // how quickly stop() is noticed

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
};

UdpWorker::UdpWorker(std::size_t index, SharedState& shared, const std::vector<net::Endpoint>& endpoints,
                     QuerySink& sink)
    : index_(index), handler_(shared, 0x5DEECE66DULL * (index + 1) + static_cast<std::uint64_t>(wall_clock_ms())),
      sink_(sink), buffers_(std::make_unique<Buffers>()) {
    try {
        for (const auto& endpoint : endpoints) fds_.push_back(bind_udp(endpoint, true));
        // A blocking receive wakes up this often to notice stop().
        const timeval timeout{0, stop_check_ms * 1000};
        for (const int fd : fds_) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    } catch (...) {
        for (const int fd : fds_) ::close(fd);
        throw;
    }
}

UdpWorker::~UdpWorker() {
    stop();
    for (const int fd : fds_) ::close(fd);
}

void UdpWorker::start() { thread_ = std::thread([this] { run(); }); }

void UdpWorker::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void UdpWorker::run() {
    if (fds_.size() == 1) {
        // Blocks until the first datagram, then takes whatever else is queued (or times out).
        while (!stopping_.load(std::memory_order_relaxed)) serve_batch(fds_.front(), MSG_WAITFORONE);
        return;
    }
    std::vector<pollfd> polls;
    for (const int fd : fds_) polls.push_back({fd, POLLIN, 0});
    while (!stopping_.load(std::memory_order_relaxed)) {
        if (::poll(polls.data(), polls.size(), stop_check_ms) <= 0) continue;
        for (const auto& p : polls) {
            if ((p.revents & POLLIN) == 0) continue;
            while (serve_batch(p.fd, MSG_DONTWAIT) == batch_size) {
            }
        }
    }
}

std::size_t UdpWorker::serve_batch(int fd, int flags) {
    auto& b = *buffers_;
    for (std::size_t i = 0; i < batch_size; ++i) {
        b.query_iov[i] = {b.queries[i].data(), b.queries[i].size()};
        b.in[i].msg_hdr = {};
        b.in[i].msg_hdr.msg_name = &b.peers[i];
        b.in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        b.in[i].msg_hdr.msg_iov = &b.query_iov[i];
        b.in[i].msg_hdr.msg_iovlen = 1;
    }
    const int received = ::recvmmsg(fd, b.in.data(), batch_size, flags, nullptr);
    if (received <= 0) return 0;
    const auto now_ms = wall_clock_ms();
    std::size_t answers = 0;
    for (int i = 0; i < received; ++i) {
        const auto source = net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&b.peers[i]));
        if (!source) continue;
        const std::span<const std::uint8_t> query(b.queries[i].data(), b.in[i].msg_len);
        const auto size = handler_.handle(query, *source, Transport::udp, b.answers[answers], now_ms, b.info);
        sink_.on_query(index_, b.info, *source, Transport::udp, now_ms);
        if (size == 0) continue;
        b.answer_iov[answers] = {b.answers[answers].data(), size};
        b.out[answers].msg_hdr = {};
        b.out[answers].msg_hdr.msg_name = &b.peers[i];
        b.out[answers].msg_hdr.msg_namelen = b.in[i].msg_hdr.msg_namelen;
        b.out[answers].msg_hdr.msg_iov = &b.answer_iov[answers];
        b.out[answers].msg_hdr.msg_iovlen = 1;
        ++answers;
    }
    std::size_t sent = 0;
    while (sent < answers) {
        const int n = ::sendmmsg(fd, b.out.data() + sent, static_cast<unsigned>(answers - sent), 0);
        if (n <= 0) break;  // the client is gone or the buffer is full: UDP may drop
        sent += static_cast<std::size_t>(n);
    }
    return static_cast<std::size_t>(received);
}

}  // namespace udn::dns::server
