// The tcp_connect method: each attempt is its own non-blocking connect to the client's port 53,
// watched on the reactor; a reset counts (it proves the host answered). A lost SYN shows as a
// timeout only while the timeout is below the kernel's first SYN retransmission (1 s); above
// it, the retransmission may still connect and the loss shows as a round trip 1 s too long.
// Every attempt holds a socket, so a series starts only when its attempts fit under
// max_sockets; the others wait, in order.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <unordered_map>

#include "probe/latency/series_run.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::latency {
namespace {

bool answered(int error) { return error == 0 || error == ECONNREFUSED; }

class TcpConnectMethod : public Method {
public:
    TcpConnectMethod(net::Reactor& reactor, std::uint16_t port, std::size_t max_sockets)
        : reactor_(reactor), port_(port), max_sockets_(max_sockets) {}

    ~TcpConnectMethod() override { runs_.clear(); }

    report::LatencyMethod id() const override { return report::LatencyMethod::tcp_connect; }
    std::size_t in_flight() const override { return runs_.size() + waiting_.size(); }

    void start(const udn::net::IpAddress& client, const Plan& plan, SeriesDone done) override {
        waiting_.push_back({client, plan, std::move(done)});
        start_waiting();
    }

private:
    struct Waiting {
        udn::net::IpAddress client;
        Plan plan;
        SeriesDone done;
    };

    class Run : public SeriesRun {
    public:
        Run(net::Reactor& reactor, const udn::net::IpAddress& client, std::uint16_t port, const Plan& plan)
            : SeriesRun(reactor, plan), to_{client, port}, sockets_(plan.attempts) {}
        ~Run() override {
            for (auto& socket : sockets_) {
                if (socket.valid()) reactor().unwatch(socket.get());
            }
        }

    protected:
        bool send_attempt(std::size_t attempt) override {
            auto connect = net::start_connect(to_, SOCK_STREAM);
            if (!connect.fd.valid()) return false;
            if (!connect.in_progress) {
                if (!answered(connect.error)) return false;
                answer(attempt, round_trip_us(attempt));
                return true;
            }
            const int fd = connect.fd.get();
            if (!reactor().watch(fd, EPOLLOUT, [this, attempt](std::uint32_t) { connected(attempt); })) return false;
            sockets_[attempt] = std::move(connect.fd);
            return true;
        }

        void release_attempt(std::size_t attempt) override {
            auto& socket = sockets_[attempt];
            if (!socket.valid()) return;
            reactor().unwatch(socket.get());
            socket = net::Fd{};
        }

    private:
        void connected(std::size_t attempt) {
            const int error = net::pending_error(sockets_[attempt].get());
            if (answered(error)) {
                answer(attempt, round_trip_us(attempt));
            } else {
                lose(attempt);
            }
        }

        std::uint32_t round_trip_us(std::size_t attempt) {
            const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(reactor().now() - sent_at(attempt)).count();
            return static_cast<std::uint32_t>(std::clamp<std::int64_t>(micros, 1, UINT32_MAX));
        }

        udn::net::Endpoint to_;
        std::vector<net::Fd> sockets_;
    };

    void start_waiting() {
        while (!waiting_.empty()) {
            // A series longer than the whole bound still runs, alone.
            const auto sockets = waiting_.front().plan.attempts;
            if (sockets_reserved_ > 0 && sockets_reserved_ + sockets > max_sockets_) return;
            auto next = std::move(waiting_.front());
            waiting_.pop_front();
            sockets_reserved_ += sockets;
            auto run = std::make_unique<Run>(reactor_, next.client, port_, next.plan);
            auto* raw = run.get();
            runs_.emplace(raw, std::move(run));
            raw->begin([this, sockets, done = std::move(next.done)](SeriesRun& over) {
                auto series = over.series();
                runs_.erase(&over);
                sockets_reserved_ -= sockets;
                done(std::move(series));
                start_waiting();
            });
        }
    }

    net::Reactor& reactor_;
    std::uint16_t port_;
    std::size_t max_sockets_;
    std::size_t sockets_reserved_ = 0;
    std::deque<Waiting> waiting_;
    std::unordered_map<const SeriesRun*, std::unique_ptr<Run>> runs_;
};

}  // namespace

std::unique_ptr<Method> make_tcp_connect_method(net::Reactor& reactor, std::uint16_t port, std::size_t max_sockets) {
    return std::make_unique<TcpConnectMethod>(reactor, port, max_sockets);
}

}  // namespace udn::probe::latency
