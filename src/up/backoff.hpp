// How long the supervisor waits before restarting a crashed child: doubling from `initial` up
// to `max` while the child keeps failing soon after start, back to `initial` once it has run
// for `stable_after` (so one crash after a day of work restarts at once).
#pragma once
#include <chrono>

namespace udn::up {

struct BackoffPolicy {
    std::chrono::milliseconds initial{250};
    std::chrono::milliseconds max{30000};
    std::chrono::milliseconds stable_after{10000};
};

class Backoff {
public:
    explicit Backoff(BackoffPolicy policy = {}) : policy_(policy) {}

    // The child exited after running for `ran_for`: the delay before starting it again.
    std::chrono::milliseconds next_delay(std::chrono::milliseconds ran_for);
    unsigned consecutive_failures() const { return failures_; }

private:
    BackoffPolicy policy_;
    unsigned failures_ = 0;
};

}  // namespace udn::up
