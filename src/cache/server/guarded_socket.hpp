// A TCP socket with a deadline: one watcher coroutine per socket closes it when the deadline
// passes, which aborts whatever read or write is pending. The watcher's timer sleeps at most
// max_sleep and then re-reads the deadline, so moving the deadline (every request and every
// write does) is a plain store; only a deadline earlier than the timer's wake-up touches the
// timer. The hit path thus pays no timer operation per request, at the price of one wake-up a
// second per connection.
#pragma once
#include <chrono>
#include <memory>

#include "cache/server/asio.hpp"

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

    tcp::socket socket;
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
