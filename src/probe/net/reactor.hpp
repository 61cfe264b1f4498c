// A single-threaded epoll event loop with one-shot timers, for the probe's non-blocking service
// checks: thousands of sockets and deadlines on one thread instead of one blocked thread per
// check. The clock is injected so tests can move time by hand. Not thread-safe except wake().
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "probe/net/socket.hpp"

namespace udn::probe::net {

class Reactor {
public:
    using Now = std::function<Clock::time_point()>;
    using FdHandler = std::function<void(std::uint32_t epoll_events)>;
    using TimerHandler = std::function<void()>;
    using TimerId = std::uint64_t;

    // Throws std::runtime_error when epoll or eventfd cannot be created (control path).
    explicit Reactor(Now now = &Clock::now);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    Clock::time_point now() const { return now_(); }

    // Starts or changes watching `fd` for `epoll_events` (EPOLLIN, EPOLLOUT; level-triggered).
    // Returns false when the kernel refuses (e.g. a closed fd).
    bool watch(int fd, std::uint32_t epoll_events, FdHandler handler);
    // Stops watching; events of this fd already collected in this round are not delivered.
    void unwatch(int fd);
    std::size_t watched() const { return fds_.size(); }

    TimerId add_timer(Clock::time_point at, TimerHandler handler);
    void cancel_timer(TimerId id);
    std::size_t timers() const { return timers_.size(); }

    // Waits up to max_wait (less when a timer is due sooner, not at all when one is due) for fd
    // events, delivers them, then fires the due timers, earliest first, at most
    // max_timers_per_round of them. Returns how many handlers ran.
    std::size_t run_once(std::chrono::milliseconds max_wait);
    static constexpr std::size_t max_timers_per_round = 256;

    // Makes a run_once blocked in another thread return early (thread-safe).
    void wake();

private:
    struct Watch {
        std::uint32_t generation = 0;
        FdHandler handler;
    };
    struct Pending {
        Clock::time_point at;
        TimerId id;
        bool operator>(const Pending& other) const { return at > other.at || (at == other.at && id > other.id); }
    };
    std::size_t fire_due_timers();

    Now now_;
    Fd epoll_;
    Fd wake_fd_;
    std::uint32_t next_generation_ = 1;
    std::unordered_map<int, Watch> fds_;
    TimerId next_timer_ = 1;
    std::unordered_map<TimerId, TimerHandler> timers_;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> timer_queue_;
};

}  // namespace udn::probe::net
