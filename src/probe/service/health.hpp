// Turns a stream of raw check results into an up/down state with fall/rise hysteresis: `fall`
// consecutive failures mark an up service down, `rise` consecutive successes mark a down one
// up. The first result sets the state directly, so a probe that (re)starts reports real
// states at once instead of waiting `rise` intervals.
#pragma once
#include <cstdint>
#include <optional>

#include "common/report/message.hpp"

namespace udn::probe::service {

class HealthTracker {
public:
    HealthTracker(std::uint32_t fall, std::uint32_t rise) : fall_(fall ? fall : 1), rise_(rise ? rise : 1) {}

    // Records a result; returns the (possibly new) state.
    report::ServiceState record(bool success);
    std::optional<report::ServiceState> state() const { return state_; }

private:
    std::uint32_t fall_;
    std::uint32_t rise_;
    std::optional<report::ServiceState> state_;
    std::uint32_t streak_ = 0;  // consecutive results contradicting the current state
};

}  // namespace udn::probe::service
