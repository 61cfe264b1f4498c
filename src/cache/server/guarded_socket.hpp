// A TCP socket with a deadline: one watcher coroutine per socket closes it when the deadline
// passes, which aborts whatever read or write is pending. The watcher's timer sleeps at most
// max_sleep and then re-reads the deadline, so moving the deadline (every request and every
// write does) is a plain store; only a deadline earlier than the timer's wake-up touches the
// timer. The hit path thus pays no timer operation per request, at the price of one wake-up a
// second per connection.
#pragma once
#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cache/server/asio.hpp"

#include <boost/asio/ssl/stream.hpp>

namespace udn::cache {

struct GuardedSocket {
    using Clock = std::chrono::steady_clock;
    explicit GuardedSocket(const asio::any_io_executor& executor) : socket(executor), timer(executor) {}

    static constexpr std::chrono::milliseconds max_sleep{1000};

    void expire_after(std::chrono::milliseconds timeout) {
        deadline = Clock::now() + timeout;
        if (deadline < wake_at) timer.cancel();
    }
    void finish() {
        finished = true;
        timer.cancel();
        boost::system::error_code ignored;
        socket.close(ignored);
    }

    // Reads and writes of the connection code: through the TLS stream on the HTTPS port, else
    // on the socket. One branch per call; both arms return the same type for a given token.
    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        if (tls) return tls->async_read_some(buffers, std::forward<Token>(token));
        return socket.async_read_some(buffers, std::forward<Token>(token));
    }
    template <class Buffers, class Token>
    auto async_write(const Buffers& buffers, Token&& token) {
        if (tls) {
            // A TLS stream makes one record (and one send) per buffer: a small response's head
            // and body pieces are copied into one buffer first.
            const auto total = asio::buffer_size(buffers);
            if (total <= tls_coalesce_bytes &&
                std::distance(asio::buffer_sequence_begin(buffers), asio::buffer_sequence_end(buffers)) > 1) {
                tls_scratch.resize(total);
                asio::buffer_copy(asio::buffer(tls_scratch), buffers);
                return asio::async_write(*tls, asio::buffer(tls_scratch), std::forward<Token>(token));
            }
            return asio::async_write(*tls, buffers, std::forward<Token>(token));
        }
        return asio::async_write(socket, buffers, std::forward<Token>(token));
    }
    static constexpr std::size_t tls_coalesce_bytes = 16 * 1024;  // one TLS record

    // Plain TCP: writes what the socket takes right now (sendmsg with MSG_DONTWAIT) and drops
    // the written bytes from the front of `buffers`; whatever is left goes through async_write.
    // A response that fits the socket buffer thus costs one system call and no trip through the
    // event loop (an async_write that completes at once still posts its completion, which costs
    // an extra epoll_wait and a coroutine frame per response). On TLS it writes nothing. False
    // when the connection is broken.
    bool write_now(std::vector<asio::const_buffer>& buffers);

    tcp::socket socket;
    std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;  // set on the HTTPS port before the handshake
    std::string tls_scratch;
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point wake_at = Clock::time_point::min();  // when the watcher's timer fires
    bool finished = false;
    bool timed_out = false;
};

// Creates the socket and starts its watcher on `executor`. Call finish() when done with it.
std::shared_ptr<GuardedSocket> make_guarded_socket(const asio::any_io_executor& executor);
std::shared_ptr<GuardedSocket> make_guarded_socket(tcp::socket accepted);

}  // namespace udn::cache
