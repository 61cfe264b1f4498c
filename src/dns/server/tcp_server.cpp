#include "dns/server/tcp_server.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <unordered_map>

#include "common/runtime/thread_name.hpp"
#include "dns/server/socket_util.hpp"

namespace udn::dns::server {
namespace {

std::int64_t monotonic_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Connection {
    int fd = -1;
    std::uint64_t id = 0;  // unique for the server's life: a forwarded answer finds its connection by it
    bool awaiting_owner = false;  // a forwarded query is out: later pipelined queries wait (answers stay in order)
    net::IpAddress peer;
    std::vector<std::uint8_t> input;
    std::vector<std::uint8_t> output;
    std::size_t output_sent = 0;
    std::int64_t last_activity_ms = 0;
};

}  // namespace

struct TcpServer::Impl final : cluster::AnswerSink {
    Impl(std::size_t worker_index, SharedState& shared, QuerySink& sink, TcpSettings settings)
        : worker_index(worker_index), handler(shared, fresh_handler_seed(worker_index + 1000)), sink(sink), settings(settings),
          answer(response_buffer_bytes) {}

    ~Impl() {
        for (auto& [fd, connection] : connections) ::close(fd);
        for (const int fd : listeners) ::close(fd);
        if (epoll_fd >= 0) ::close(epoll_fd);
    }

    void run() {
        std::array<epoll_event, 64> events{};
        while (!stopping.load(std::memory_order_relaxed)) {
            const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), wait_timeout_ms());
            for (int i = 0; i < n; ++i) {
                const int fd = events[static_cast<std::size_t>(i)].data.fd;
                if (is_listener(fd)) {
                    accept_all(fd);
                } else if (forwarder && fd == forwarder->fd()) {
                    forwarder->relay_answers(*this);
                } else {
                    serve(fd, events[static_cast<std::size_t>(i)].events);
                }
            }
            if (forwarder) {
                forwarder->expire(wall_clock_ms(), [this](const cluster::WaitingQuery& waiting) {
                    if (auto* connection = waiting_connection(waiting)) answer_here(*connection, waiting.query);
                });
                resume_answered();
                forwarder->flush();
            }
            close_idle();
        }
    }

    int wait_timeout_ms() const {
        constexpr std::int64_t longest_ms = 200;  // how quickly stop() and idle connections are noticed
        if (!forwarder) return longest_ms;
        return static_cast<int>(std::clamp<std::int64_t>(forwarder->next_deadline_ms() - wall_clock_ms(), 0, longest_ms));
    }

    // An owner's answer: relayed unless it came back truncated (it did not fit the datagram), in
    // which case this server answers the query itself, as over TCP.
    void deliver(const cluster::WaitingQuery& waiting, std::span<const std::uint8_t> owner_answer) override {
        auto* connection = waiting_connection(waiting);
        if (connection == nullptr) return;
        constexpr std::uint8_t tc_bit = 0x02;  // in the third header byte
        if ((owner_answer[2] & tc_bit) != 0) return answer_here(*connection, waiting.query);
        append_answer(*connection, owner_answer);
        connection->awaiting_owner = false;
        answered.push_back(connection->fd);
    }

    Connection* waiting_connection(const cluster::WaitingQuery& waiting) {
        const auto it = connections.find(waiting.reply_fd);
        if (it == connections.end() || it->second.id != waiting.connection_id) return nullptr;  // closed meanwhile
        return &it->second;
    }

    void answer_here(Connection& connection, std::span<const std::uint8_t> query) {
        const auto now_ms = wall_clock_ms();
        const auto size = handler.handle(query, connection.peer, Transport::tcp, answer, now_ms, info);
        sink.on_query(worker_index, info, connection.peer, Transport::tcp, now_ms);
        if (size > 0) append_answer(connection, {answer.data(), size});
        connection.awaiting_owner = false;
        answered.push_back(connection.fd);
    }

    // Connections whose forwarded query was answered go on with their pipelined queries. Not
    // done inside deliver() or expire(): those walk the forwarder's slots, and this may take one.
    void resume_answered() {
        for (const int fd : answered) {
            const auto it = connections.find(fd);
            if (it == connections.end()) continue;
            answer_complete_messages(it->second);
            if (!flush(it->second)) {
                close_connection(fd);
                continue;
            }
            update_interest(it->second);
        }
        answered.clear();
    }

    bool is_listener(int fd) const { return std::find(listeners.begin(), listeners.end(), fd) != listeners.end(); }

    void accept_all(int listener) {
        while (true) {
            sockaddr_storage address{};
            socklen_t length = sizeof address;
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;
            const auto peer = net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&address));
            if (!peer || connections.size() >= settings.max_connections) {
                ::close(fd);
                continue;
            }
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.fd = fd;
            ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
            auto& connection = connections[fd];
            connection.fd = fd;
            connection.id = ++last_connection_id;
            connection.peer = *peer;
            connection.last_activity_ms = monotonic_ms();
        }
    }

    void close_connection(int fd) {
        ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        connections.erase(fd);
    }

    void serve(int fd, std::uint32_t events) {
        const auto it = connections.find(fd);
        if (it == connections.end()) return;
        auto& connection = it->second;
        connection.last_activity_ms = monotonic_ms();
        if ((events & (EPOLLERR | EPOLLHUP)) != 0 && (events & EPOLLIN) == 0) return close_connection(fd);
        if ((events & EPOLLIN) != 0 && !read_input(connection)) return close_connection(fd);
        answer_complete_messages(connection);
        if (!flush(connection)) return close_connection(fd);
        update_interest(connection);
    }

    bool read_input(Connection& connection) {
        std::array<std::uint8_t, 16384> chunk{};
        while (connection.output.size() - connection.output_sent < settings.max_pending_output_bytes) {
            const auto n = ::recv(connection.fd, chunk.data(), chunk.size(), 0);
            if (n > 0) {
                connection.input.insert(connection.input.end(), chunk.begin(), chunk.begin() + n);
                continue;
            }
            // A client may half-close after its last query: the answers still go out.
            if (n == 0) {
                return !connection.input.empty() || connection.output.size() > connection.output_sent ||
                       connection.awaiting_owner;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        return true;
    }

    void answer_complete_messages(Connection& connection) {
        std::size_t consumed = 0;
        const auto now_ms = wall_clock_ms();
        while (!connection.awaiting_owner && connection.input.size() - consumed >= 2) {
            const std::size_t length = (connection.input[consumed] << 8) | connection.input[consumed + 1];
            if (connection.input.size() - consumed - 2 < length) break;
            const std::span<const std::uint8_t> query(connection.input.data() + consumed + 2, length);
            consumed += 2 + length;
            auto size = handler.handle(query, connection.peer, Transport::tcp, answer, now_ms, info, forwarder.get());
            if (info.forward_to >= 0) {
                // The owner answers and logs it; if it cannot be reached, this server decides.
                if (forwarder->forward_stream(*info.forward_ring, static_cast<std::size_t>(info.forward_to), query,
                                              connection.peer, connection.fd, connection.id, now_ms)) {
                    connection.awaiting_owner = true;
                    break;
                }
                size = handler.handle(query, connection.peer, Transport::tcp, answer, now_ms, info);
            }
            sink.on_query(worker_index, info, connection.peer, Transport::tcp, now_ms);
            if (size > 0) append_answer(connection, {answer.data(), size});
        }
        connection.input.erase(connection.input.begin(), connection.input.begin() + static_cast<long>(consumed));
    }

    static void append_answer(Connection& connection, std::span<const std::uint8_t> message) {
        connection.output.push_back(static_cast<std::uint8_t>(message.size() >> 8));
        connection.output.push_back(static_cast<std::uint8_t>(message.size()));
        connection.output.insert(connection.output.end(), message.begin(), message.end());
    }

    bool flush(Connection& connection) {
        while (connection.output_sent < connection.output.size()) {
            const auto n = ::send(connection.fd, connection.output.data() + connection.output_sent,
                                  connection.output.size() - connection.output_sent, MSG_NOSIGNAL);
            if (n > 0) {
                connection.output_sent += static_cast<std::size_t>(n);
                continue;
            }
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
        connection.output.clear();
        connection.output_sent = 0;
        return true;
    }

    // While a forwarded query is out, the connection is not read: its next queries wait in the
    // kernel's buffer (bounded, and level-triggered input would wake the loop for nothing).
    void update_interest(Connection& connection) {
        epoll_event event{};
        event.events = (connection.awaiting_owner ? 0u : static_cast<std::uint32_t>(EPOLLIN)) |
                       (connection.output.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
        event.data.fd = connection.fd;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection.fd, &event);
    }

    void close_idle() {
        const auto now = monotonic_ms();
        std::vector<int> idle;
        for (const auto& [fd, connection] : connections) {
            if (now - connection.last_activity_ms > settings.idle_timeout_ms) idle.push_back(fd);
        }
        for (const int fd : idle) close_connection(fd);
    }

    std::size_t worker_index;
    QueryHandler handler;
    QuerySink& sink;
    TcpSettings settings;
    std::vector<std::uint8_t> answer;
    QueryInfo info;
    int epoll_fd = -1;
    std::vector<int> listeners;
    std::unordered_map<int, Connection> connections;
    std::uint64_t last_connection_id = 0;
    std::unique_ptr<cluster::Forwarder> forwarder;
    std::vector<int> answered;  // connections whose forwarded query was answered in this round
    std::atomic<bool> stopping{false};
    std::thread thread;
};

TcpServer::TcpServer(std::size_t worker_index, SharedState& shared, const std::vector<net::Endpoint>& endpoints,
                     QuerySink& sink, TcpSettings settings, const std::optional<net::IpAddress>& cluster_address)
    : impl_(std::make_unique<Impl>(worker_index, shared, sink, settings)) {
    impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (cluster_address) {
        impl_->forwarder = std::make_unique<cluster::Forwarder>(*cluster_address);
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = impl_->forwarder->fd();
        ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->forwarder->fd(), &event);
    }
    for (const auto& endpoint : endpoints) {
        const int fd = bind_tcp_listener(endpoint);
        impl_->listeners.push_back(fd);
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

TcpServer::~TcpServer() { stop(); }

const cluster::ForwarderCounters* TcpServer::forwarder_counters() const {
    return impl_->forwarder ? &impl_->forwarder->counters() : nullptr;
}

void TcpServer::start() {
    impl_->thread = std::thread([this] {
        runtime::name_this_thread("udn-dns-tcp");
        impl_->run();
    });
}

void TcpServer::stop() {
    impl_->stopping = true;
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace udn::dns::server
