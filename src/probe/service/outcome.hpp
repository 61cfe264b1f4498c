// The raw result of one service check, before the fall/rise thresholds.
#pragma once
#include <cstdint>
#include <string>

#include "common/report/message.hpp"

namespace udn::probe::service {

struct Outcome {
    report::CheckResult result = report::CheckResult::other_error;
    std::uint16_t code = 0;
    report::Timing timing;
    std::string detail;
    bool ok() const { return result == report::CheckResult::ok; }
};

}  // namespace udn::probe::service
