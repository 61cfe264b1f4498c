// Deadline watcher of guarded sockets; see guarded_socket.hpp.
#include "cache/server/guarded_socket.hpp"

namespace udn::cache {

namespace {

awaitable<void> watch(std::shared_ptr<GuardedSocket> guarded) {
    while (!guarded->finished) {
        const auto now = GuardedSocket::Clock::now();
        if (now >= guarded->deadline) {
            guarded->timed_out = true;
            boost::system::error_code ignored;
            guarded->socket.close(ignored);
            break;
        }
        const auto latest = guarded->deadline - now > GuardedSocket::max_sleep ? now + GuardedSocket::max_sleep
                                                                              : guarded->deadline;
        guarded->wake_at = latest;
        guarded->timer.expires_at(latest);
        boost::system::error_code ec;
        co_await guarded->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

}  // namespace

std::shared_ptr<GuardedSocket> make_guarded_socket(const asio::any_io_executor& executor) {
    auto guarded = std::make_shared<GuardedSocket>(executor);
    asio::co_spawn(executor, watch(guarded), asio::detached);
    return guarded;
}

std::shared_ptr<GuardedSocket> make_guarded_socket(tcp::socket accepted) {
    const auto executor = accepted.get_executor();
    auto guarded = std::make_shared<GuardedSocket>(executor);
    guarded->socket = std::move(accepted);
    asio::co_spawn(executor, watch(guarded), asio::detached);
    return guarded;
}

}  // namespace udn::cache
