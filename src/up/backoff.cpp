// Exponential restart backoff; see backoff.hpp.
#include "up/backoff.hpp"

#include <algorithm>

namespace udn::up {

std::chrono::milliseconds Backoff::next_delay(std::chrono::milliseconds ran_for) {
    if (ran_for >= policy_.stable_after) failures_ = 0;
    auto delay = policy_.initial;
    for (unsigned i = 0; i < failures_ && delay < policy_.max; ++i) delay *= 2;
    ++failures_;
    return std::min(delay, policy_.max);
}

}  // namespace udn::up
