// One series of probes to one client, driven by a Reactor's clock and timers: attempt k leaves
// at start + k * spacing through send_attempt(k); an attempt not answered within the plan's
// timeout of its sending is lost; the series is over once every attempt is answered or lost, or
// when it is ended early (an ICMP unreachable: nothing will answer). A method derives from it to
// say how an attempt is sent and what it holds (a socket, a reply key) until it is over.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "probe/latency/method.hpp"

namespace udn::probe::latency {

class SeriesRun {
public:
    // Called once when the series is over; may destroy the run.
    using Over = std::function<void(SeriesRun&)>;

    SeriesRun(net::Reactor& reactor, const Plan& plan);
    virtual ~SeriesRun();
    SeriesRun(const SeriesRun&) = delete;
    SeriesRun& operator=(const SeriesRun&) = delete;

    // Sends the first attempt on the reactor's next round of timers, so `over` never runs
    // within begin().
    void begin(Over over);
    // A reply to `attempt`, `rtt_us` after its sending: counts only while the attempt is in
    // flight and rtt_us is within the timeout (a late or repeated reply never counts).
    void answer(std::size_t attempt, std::uint32_t rtt_us);
    // `attempt` failed without an answer (e.g. a connect error other than a reset).
    void lose(std::size_t attempt);
    // Nothing will answer any more: every attempt in flight is lost and no more are sent.
    void end();

    const Series& series() const { return rtts_; }
    bool in_flight(std::size_t attempt) const;
    net::Clock::time_point sent_at(std::size_t attempt) const { return sent_at_[attempt]; }

protected:
    // False when the probe could not be sent (it counts as lost). May call answer() or lose()
    // for this attempt when the outcome is known at once.
    virtual bool send_attempt(std::size_t attempt) = 0;
    // `attempt` is over (answered, lost or ended): release what it holds.
    virtual void release_attempt(std::size_t attempt) = 0;
    net::Reactor& reactor() { return reactor_; }
    const Plan& plan() const { return plan_; }

private:
    enum class State : std::uint8_t { waiting, in_flight, over };
    void step();
    void close_attempt(std::size_t attempt);
    void arm_or_finish();
    bool over() const;
    net::Clock::time_point send_time(std::size_t attempt) const;

    net::Reactor& reactor_;
    Plan plan_;
    Over over_;
    net::Clock::time_point start_{};
    std::vector<State> states_;
    std::vector<net::Clock::time_point> sent_at_;
    Series rtts_;
    std::size_t next_to_send_ = 0;
    bool stepping_ = false;
    std::optional<net::Reactor::TimerId> timer_;
    net::Clock::time_point timer_at_{};
};

}  // namespace udn::probe::latency
