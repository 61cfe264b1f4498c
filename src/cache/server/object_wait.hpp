// Waiting, inside a connection's coroutine, for an object that another task fills.
#pragma once
#include <cstddef>

#include "cache/server/asio.hpp"
#include "cache/store/object.hpp"

namespace udn::cache::server {

// Returns once `object` changed after the caller saw `seen_bytes` in `seen_state`.
awaitable<void> wait_for_change(const store::ObjectPtr& object, std::size_t seen_bytes, store::Object::State seen_state);

// Returns once the object's response head is known (or its fetch failed).
awaitable<void> wait_for_head(const store::ObjectPtr& object);

}  // namespace udn::cache::server
