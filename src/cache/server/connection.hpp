// One client connection of the cache (or of its admin port): reads requests with the strict
// parser, answers them in order (pipelined requests are answered one after the other, never
// interleaved), enforces the slow-client deadlines, and closes on any framing error.
#pragma once
#include <memory>

#include "cache/server/context.hpp"
#include "cache/server/guarded_socket.hpp"

namespace udn::cache::server {

enum class Port : std::uint8_t { http, admin };

awaitable<void> serve_connection(Context& context, std::shared_ptr<GuardedSocket> socket, Port port);

}  // namespace udn::cache::server
