// Sending a batch of UDP datagrams with sendmmsg so that one the kernel refuses does not take
// the rest of the batch with it (the DNS workers' answers, the queries they forward to owners).
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <span>

namespace udn::net {

// Sends every message of `batch` on `fd` and returns how many the kernel refused. sendmmsg
// stops at the first datagram it cannot send (a client address no route leads to, source port
// 0 in a forged query, ...): that one is skipped and counted, and the rest still go.
// Blocking sockets wait for room; a non-blocking one's full buffer refuses datagrams the same way.
// On return each message's msg_len says what became of it: the bytes sent, or 0 when refused
// (for a caller that must act on each refusal; every datagram sent here is non-empty).
std::size_t send_batch(int fd, std::span<mmsghdr> batch);

}  // namespace udn::net
