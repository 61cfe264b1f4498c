// Deadline watcher of guarded sockets; see guarded_socket.hpp.
#include "cache/server/guarded_socket.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>

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

bool GuardedSocket::write_now(std::vector<asio::const_buffer>& buffers) {
    if (tls || buffers.empty()) return true;
    std::array<iovec, 16> parts{};  // a response head and body are a few pieces; more wait
    const auto count = std::min(parts.size(), buffers.size());
    for (std::size_t i = 0; i < count; ++i) {
        parts[i].iov_base = const_cast<void*>(buffers[i].data());
        parts[i].iov_len = buffers[i].size();
    }
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = count;
    const auto sent = ::sendmsg(socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    auto written = static_cast<std::size_t>(sent);
    std::size_t whole = 0;
    while (whole < buffers.size() && written >= buffers[whole].size()) written -= buffers[whole++].size();
    buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(whole));
    if (written > 0) buffers.front() += written;
    return true;
}

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
