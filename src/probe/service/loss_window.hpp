// A service's probe-to-server packet loss as the probe can honestly see it: the share of its
// last checks that got no answer at all within their timeout. A refused connect or a wrong
// answer is not loss (a packet came back); a timeout is, whichever way the packet went missing
// (and also when a server accepts but answers too slowly, which a client on that path suffers
// alike). TCP's own SYN retransmissions are invisible to the probe, so a check is the unit.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>

namespace udn::probe::service {

class LossWindow {
public:
    static constexpr std::uint16_t checks_kept = 20;

    void record(bool lost) {
        lost_ = ((lost_ << 1) | (lost ? 1u : 0u)) & ((1u << checks_kept) - 1);
        checks_ = static_cast<std::uint16_t>(std::min<unsigned>(checks_ + 1u, checks_kept));
    }
    // Checks the figure covers (0 before the first result).
    std::uint16_t checks() const { return checks_; }
    // 0..1000, rounded to nearest.
    std::uint16_t loss_permille() const {
        if (checks_ == 0) return 0;
        const auto lost = static_cast<unsigned>(std::popcount(lost_));
        return static_cast<std::uint16_t>((lost * 1000u + checks_ / 2u) / checks_);
    }

private:
    std::uint32_t lost_ = 0;  // bit i: the check i results ago was lost
    std::uint16_t checks_ = 0;
};

}  // namespace udn::probe::service
