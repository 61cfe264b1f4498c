// Sending a batch of UDP answers with sendmmsg so that one answer the kernel refuses does not
// take the rest of the batch with it.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <span>

namespace udn::dns::server {

// Sends every message of `batch` on `fd` and returns how many the kernel refused. sendmmsg
// stops at the first datagram it cannot send (a client address no route leads to, source port
// 0 in a forged query, ...): that one is skipped and counted, and the rest still go.
std::size_t send_batch(int fd, std::span<mmsghdr> batch);

}  // namespace udn::dns::server
