// Unpredictable numbers for what an off-path attacker must not guess (DNS query IDs, the ICMP
// identifier, hash seeds): the kernel's random source, fetched a few KiB at a time so that a
// probe costs no system call for its ID. Not thread-safe: one per reactor.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace udn::probe::latency {

class Entropy {
public:
    std::uint16_t next_u16();
    std::uint64_t next_u64();

private:
    void take(void* out, std::size_t size_bytes);
    void refill();

    std::array<std::uint8_t, 4096> pool_{};
    std::size_t used_bytes_ = pool_.size();
};

}  // namespace udn::probe::latency
