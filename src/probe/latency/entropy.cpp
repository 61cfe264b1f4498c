#include "probe/latency/entropy.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace udn::probe::latency {

std::uint16_t Entropy::next_u16() {
    std::uint16_t value = 0;
    take(&value, sizeof value);
    return value;
}

std::uint64_t Entropy::next_u64() {
    std::uint64_t value = 0;
    take(&value, sizeof value);
    return value;
}

void Entropy::take(void* out, std::size_t size_bytes) {
    if (used_bytes_ + size_bytes > pool_.size()) refill();
    std::memcpy(out, pool_.data() + used_bytes_, size_bytes);
    used_bytes_ += size_bytes;
}

void Entropy::refill() {
    std::size_t filled = 0;
    while (filled < pool_.size()) {
        const auto got = ::getrandom(pool_.data() + filled, pool_.size() - filled, 0);
        if (got > 0) {
            filled += static_cast<std::size_t>(got);
        } else if (got < 0 && errno != EINTR) {
            break;
        }
    }
    // getrandom(2) only fails on kernels older than 3.17; random_device reads /dev/urandom there.
    std::random_device device;
    for (; filled < pool_.size(); ++filled) pool_[filled] = static_cast<std::uint8_t>(device());
    used_bytes_ = 0;
}

}  // namespace udn::probe::latency
