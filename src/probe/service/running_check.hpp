// The contract between the scheduler and a non-blocking service check running on a Reactor:
// a check reports its Outcome once through its CheckDone, as the last thing it does (possibly
// already inside start), or is expired by the scheduler when its timeout passes first.
#pragma once
#include <functional>
#include <memory>

#include "probe/service/outcome.hpp"
#include "probe/service/target.hpp"

namespace udn::probe::service {

using CheckDone = std::function<void(Outcome)>;

class RunningCheck {
public:
    virtual ~RunningCheck() = default;  // releases sockets and handles; never calls CheckDone
    // The deadline passed before the check finished: what the check knows, as a timeout (or as
    // its result, when only an optional last step, such as an FTP goodbye, was still missing).
    virtual Outcome expire() = 0;
};

// Starts a check of `target` (which outlives it); returns the check, or nullptr when it already
// finished inside the call.
using StartCheck = std::function<std::unique_ptr<RunningCheck>(const Target& target, CheckDone done)>;

}  // namespace udn::probe::service
