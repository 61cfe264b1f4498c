// Waiting for a filling object; see object_wait.hpp.
#include "cache/server/object_wait.hpp"

#include <memory>

namespace udn::cache::server {

awaitable<void> wait_for_change(const store::ObjectPtr& object, std::size_t seen_bytes,
                                store::Object::State seen_state) {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
    // The waker may run on another worker's thread: it only posts to this connection's thread,
    // where the wait below is already pending (registration and wait happen without a suspension).
    const bool registered = object->wait_for_change(seen_bytes, seen_state, [timer] {
        asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    });
    if (!registered) co_return;
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(use_awaitable, ignored));
}

awaitable<void> wait_for_head(const store::ObjectPtr& object) {
    while (object->state() == store::Object::State::pending) {
        co_await wait_for_change(object, 0, store::Object::State::pending);
    }
}

}  // namespace udn::cache::server
