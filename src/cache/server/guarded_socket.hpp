// A TCP socket with a deadline: one watcher coroutine per socket closes it when the deadline
// passes, which aborts whatever read or write is pending. Moving the deadline later (the usual
// case: every request or write extends it) is a plain store, not a timer operation, so the hit
// path pays nothing per request for slow-client protection.
#pragma once
#include <chrono>
#include <memory>

#include "cache/server/asio.hpp"

namespace udn::cache {

struct GuardedSocket {
    using Clock = std::chrono::steady_clock;
    explicit GuardedSocket(const asio::any_io_executor& executor) : socket(executor), timer(executor) {}

    void expire_after(std::chrono::milliseconds timeout) {
        const auto next = Clock::now() + timeout;
        const bool earlier = next < deadline;
        deadline = next;
        if (earlier) timer.cancel();
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
    bool finished = false;
    bool timed_out = false;
};

// Creates the socket and starts its watcher on `executor`. Call finish() when done with it.
std::shared_ptr<GuardedSocket> make_guarded_socket(const asio::any_io_executor& executor);
std::shared_ptr<GuardedSocket> make_guarded_socket(tcp::socket accepted);

}  // namespace udn::cache
