#include "common/net/send_batch.hpp"

#include <cerrno>

namespace udn::net {

std::size_t send_batch(int fd, std::span<mmsghdr> batch) {
    std::size_t done = 0;
    std::size_t refused = 0;
    while (done < batch.size()) {
        const auto rest = batch.subspan(done);
        const int sent = ::sendmmsg(fd, rest.data(), static_cast<unsigned>(rest.size()), 0);
        if (sent > 0) {
            done += static_cast<std::size_t>(sent);
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        // The first datagram of the rest was refused: UDP may drop it, its neighbours may not.
        rest.front().msg_len = 0;
        ++done;
        ++refused;
    }
    return refused;
}

}  // namespace udn::net
