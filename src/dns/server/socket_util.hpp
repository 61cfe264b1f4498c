// Small POSIX socket helpers for the DNS role: bound UDP/TCP sockets with SO_REUSEPORT and
// errors that say which address failed and why.
#pragma once
#include <string>

#include "common/net/ip_address.hpp"

namespace udn::dns::server {

// Throws std::runtime_error naming the endpoint and errno text (control path, start-up).
int bind_udp(const net::Endpoint& endpoint, bool reuse_port);
int bind_tcp_listener(const net::Endpoint& endpoint);
void set_nonblocking(int fd);

}  // namespace udn::dns::server
