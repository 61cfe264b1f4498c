#include "probe/service/health.hpp"

namespace udn::probe::service {

report::ServiceState HealthTracker::record(bool success) {
    using report::ServiceState;
    const auto observed = success ? ServiceState::up : ServiceState::down;
    if (!state_) {
        state_ = observed;
        return *state_;
    }
    if (observed == *state_) {
        streak_ = 0;
        return *state_;
    }
    ++streak_;
    if (streak_ >= (success ? rise_ : fall_)) {
        state_ = observed;
        streak_ = 0;
    }
    return *state_;
}

}  // namespace udn::probe::service
