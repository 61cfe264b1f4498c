// One client connection of the cache (or of its admin port): reads requests with the strict
// parser, answers them in order (pipelined requests are answered one after the other, never
// interleaved), enforces the slow-client deadlines, and closes on any framing error. On the
// HTTPS port it first completes the TLS handshake (socket->tls), then serves exactly as on the
// HTTP port, except that a request for a host the connection's certificate does not cover gets
// 421 Misdirected Request (no domain fronting from one customer's certificate to another's name).
#pragma once
#include <memory>

#include "cache/server/context.hpp"
#include "cache/server/guarded_socket.hpp"
#include "cache/tls/certificates.hpp"

namespace udn::cache::server {

enum class Port : std::uint8_t { http, admin, https };

// `certificates` (HTTPS only) is the set the TLS stream was created from; kept for the
// connection's life.
awaitable<void> serve_connection(Context& context, std::shared_ptr<GuardedSocket> socket, Port port,
                                 std::shared_ptr<const tls::CertificateSet> certificates = nullptr);

}  // namespace udn::cache::server
