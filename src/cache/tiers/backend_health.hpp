// Whether a memory front should ask its disk back: after a failure to reach it, the front
// fetches from the origins itself for `down_for` and then tries the back again. Only the
// changes (down, up again) produce a message, so a dead back costs one log line per outage,
// not one per request. Times are passed in, so tests drive it without waiting.
#pragma once
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace udn::cache::tiers {

class BackendHealth {
public:
    using Clock = std::chrono::steady_clock;
    BackendHealth(std::string name, std::chrono::milliseconds down_for) : name_(std::move(name)), down_for_(down_for) {}

    // False while the back counts as down.
    bool usable(Clock::time_point now);
    // A request could not be sent to the back or got no response; returns the message to log
    // when this marks the back down (it was up before).
    std::optional<std::string> failed(const std::string& why, Clock::time_point now);
    // The back answered; returns the message to log when it was down before.
    std::optional<std::string> answered(Clock::time_point now);

private:
    std::mutex mutex_;
    std::string name_;
    std::chrono::milliseconds down_for_;
    bool down_ = false;
    Clock::time_point retry_at_{};
    Clock::time_point down_since_{};
};

}  // namespace udn::cache::tiers
