#include "probe/net/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace udn::probe::net {
namespace {

// An event's data carries the fd and the generation of its registration, so an event collected
// for a socket that was closed and whose number was reused within the same round is dropped.
std::uint64_t pack(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

Reactor::Reactor(Now now) : now_(std::move(now)) {
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) throw std::runtime_error("cannot create an epoll instance: " + std::string(std::strerror(errno)));
    wake_fd_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd_.valid()) throw std::runtime_error("cannot create an eventfd: " + std::string(std::strerror(errno)));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = pack(wake_fd_.get(), 0);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &event) != 0) {
        throw std::runtime_error("cannot watch the eventfd: " + std::string(std::strerror(errno)));
    }
}

Reactor::~Reactor() = default;

bool Reactor::watch(int fd, std::uint32_t epoll_events, FdHandler handler) {
    auto found = fds_.find(fd);
    epoll_event event{};
    event.events = epoll_events;
    if (found != fds_.end()) {
        event.data.u64 = pack(fd, found->second.generation);
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) == 0) {
            found->second.handler = std::move(handler);
            return true;
        }
        if (errno != ENOENT) return false;
        // The old fd was closed without unwatch and its number reused: register the new socket.
        fds_.erase(found);
    }
    const auto generation = next_generation_++;
    event.data.u64 = pack(fd, generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) return false;
    fds_.emplace(fd, Watch{generation, std::move(handler)});
    return true;
}

void Reactor::unwatch(int fd) {
    if (fds_.erase(fd) == 0) return;
    // Fails harmlessly with EBADF when the owner closed the fd first (the kernel dropped it then).
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Reactor::TimerId Reactor::add_timer(Clock::time_point at, TimerHandler handler) {
    const auto id = next_timer_++;
    timers_.emplace(id, std::move(handler));
    timer_queue_.push(Pending{at, id});
    return id;
}

void Reactor::cancel_timer(TimerId id) { timers_.erase(id); }

std::size_t Reactor::run_once(std::chrono::milliseconds max_wait) {
    while (!timer_queue_.empty() && !timers_.contains(timer_queue_.top().id)) timer_queue_.pop();
    auto wait = std::max(max_wait, std::chrono::milliseconds(0));
    if (!timer_queue_.empty()) {
        const auto until_timer = timer_queue_.top().at - now();
        // Round up: waking a little early would only spin until the timer is due.
        const auto until_ms = std::chrono::ceil<std::chrono::milliseconds>(until_timer);
        wait = std::clamp(until_ms, std::chrono::milliseconds(0), wait);
    }
    std::array<epoll_event, 256> events{};
    const int ready = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                                   static_cast<int>(wait.count()));
    std::size_t handled = 0;
    for (int i = 0; i < ready; ++i) {
        const auto data = events[static_cast<std::size_t>(i)].data.u64;
        const int fd = static_cast<int>(data & 0xffffffffu);
        if (fd == wake_fd_.get()) {
            std::uint64_t count = 0;
            (void)::read(fd, &count, sizeof count);
            continue;
        }
        auto found = fds_.find(fd);
        if (found == fds_.end() || found->second.generation != static_cast<std::uint32_t>(data >> 32)) continue;
        // A copy: the handler may unwatch its own fd (destroying the stored function) while it runs.
        auto handler = found->second.handler;
        handler(events[static_cast<std::size_t>(i)].events);
        ++handled;
    }
    return handled + fire_due_timers();
}

std::size_t Reactor::fire_due_timers() {
    // Collect first: a handler that adds a timer due now must not keep this round going forever.
    // At most max_timers_per_round: thousands of timers due together (a latency probe sending a
    // round of probes) would otherwise keep sockets unread until their receive buffers overflow;
    // the rest fire after the next epoll_wait, which does not wait while timers are due.
    std::vector<TimerId> due;
    const auto current = now();
    while (!timer_queue_.empty() && timer_queue_.top().at <= current && due.size() < max_timers_per_round) {
        due.push_back(timer_queue_.top().id);
        timer_queue_.pop();
    }
    std::size_t fired = 0;
    for (const auto id : due) {
        auto found = timers_.find(id);
        if (found == timers_.end()) continue;  // cancelled, possibly by an earlier handler
        auto handler = std::move(found->second);
        timers_.erase(found);
        handler();
        ++fired;
    }
    return fired;
}

void Reactor::wake() {
    const std::uint64_t one = 1;
    (void)::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace udn::probe::net
