// The checks that need no library, as non-blocking state machines on the reactor: TCP connect;
// FTP (connect, 220 greeting, QUIT, goodbye); DNS (a UDP query with an expected answer). The
// scheduler owns the deadline (RunningCheck::expire); these only react to socket events.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "probe/service/checks.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::service {
namespace {

using net::Clock;

constexpr std::size_t max_ftp_reply_bytes = 8192;

std::uint32_t micros_between(Clock::time_point start, Clock::time_point end) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(micros, 0, UINT32_MAX));
}

std::uint16_t random_id() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint16_t>(generator());
}

// A reply is complete at "ddd " + CRLF; multi-line replies ("220-...") end with "220 ".
bool ftp_reply_complete(const std::string& text) {
    const auto end = text.find("\r\n");
    if (end == std::string::npos) return false;
    if (text.size() >= 4 && text[3] == '-') return text.find("\r\n" + text.substr(0, 3) + " ") != std::string::npos;
    return true;
}

// Finishes through `done` when the connect fails at once; otherwise the socket, to watch.
std::optional<net::Fd> connect_or_finish(const Target& target, int type, Clock::time_point start,
                                         const CheckDone& done) {
    auto connecting = net::start_connect(target.endpoint, type);
    if (connecting.fd.valid() && connecting.error == 0) return std::move(connecting.fd);
    Outcome outcome;
    outcome.result = connecting.fd.valid() ? report::CheckResult::connect_failed : report::CheckResult::other_error;
    outcome.detail = std::string(connecting.fd.valid() ? "connect: " : "socket: ") + std::strerror(connecting.error);
    outcome.timing.total_us = micros_between(start, Clock::now());
    done(std::move(outcome));
    return std::nullopt;
}

// TCP connect, and for FTP the conversation after it.
class StreamCheck final : public RunningCheck {
public:
    enum class Phase { connecting, greeting, goodbye };

    StreamCheck(net::Reactor& reactor, bool ftp, net::Fd fd, Clock::time_point start, CheckDone done)
        : reactor_(reactor), ftp_(ftp), fd_(std::move(fd)), start_(start), done_(std::move(done)) {}
    ~StreamCheck() override { reactor_.unwatch(fd_.get()); }

    // False when the reactor refused the socket (the check finished through done then).
    bool begin() {
        if (reactor_.watch(fd_.get(), EPOLLOUT, [this](std::uint32_t) { on_event(); })) return true;
        finish(report::CheckResult::other_error, "cannot watch the socket");
        return false;
    }

    Outcome expire() override {
        reactor_.unwatch(fd_.get());
        outcome_.timing.total_us = micros_between(start_, reactor_.now());
        if (phase_ == Phase::goodbye) return std::move(outcome_);  // the verdict came with the greeting
        outcome_.result = report::CheckResult::timeout;
        outcome_.detail = phase_ == Phase::connecting ? "connect: timeout" : "no complete FTP greeting";
        return std::move(outcome_);
    }

private:
    void on_event() {
        switch (phase_) {
            case Phase::connecting: return on_connected();
            case Phase::greeting: return on_greeting();
            case Phase::goodbye: return on_goodbye();
        }
    }

    void on_connected() {
        if (const int error = net::pending_error(fd_.get()); error != 0) {
            return finish(report::CheckResult::connect_failed, std::string("connect: ") + std::strerror(error));
        }
        outcome_.timing.connect_us = micros_between(start_, Clock::now());
        if (!ftp_) {
            outcome_.timing.first_byte_us = outcome_.timing.connect_us;
            return finish(report::CheckResult::ok, "connected");
        }
        phase_ = Phase::greeting;
        reactor_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { on_event(); });
    }

    void on_greeting() {
        if (!receive()) return;
        if (!ftp_reply_complete(received_)) {
            if (received_.size() >= max_ftp_reply_bytes || closed_) {
                finish(report::CheckResult::protocol_error, "no complete FTP greeting");
            }
            return;
        }
        outcome_.timing.first_byte_us = micros_between(start_, Clock::now());
        outcome_.code = static_cast<std::uint16_t>(std::atoi(received_.substr(0, 3).c_str()));
        const bool is_220 = received_.rfind("220", 0) == 0;
        outcome_.result = is_220 ? report::CheckResult::ok : report::CheckResult::bad_status;
        outcome_.detail = is_220 ? "220 greeting" : "greeting " + received_.substr(0, 3) + ", expected 220";
        // Six bytes into a fresh socket's empty send buffer: never partial.
        if (closed_ || ::send(fd_.get(), "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT) != 6) return finish_as_judged();
        received_.clear();
        phase_ = Phase::goodbye;
    }

    void on_goodbye() {
        if (!receive()) return;
        if (closed_ || ftp_reply_complete(received_) || received_.size() >= max_ftp_reply_bytes) finish_as_judged();
    }

    // Reads what is there; false when the check finished (a read error other than "no data").
    bool receive() {
        std::array<char, 4096> buffer{};
        const auto size = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (size > 0) {
            received_.append(buffer.data(), std::min(static_cast<std::size_t>(size), max_ftp_reply_bytes));
            return true;
        }
        if (size == 0) {
            closed_ = true;
            return true;
        }
        if (errno == EAGAIN || errno == EINTR) return true;
        if (phase_ == Phase::goodbye) {
            finish_as_judged();
        } else {
            finish(report::CheckResult::protocol_error, std::string("read: ") + std::strerror(errno));
        }
        return false;
    }

    void finish(report::CheckResult result, std::string detail) {
        outcome_.result = result;
        outcome_.detail = std::move(detail);
        finish_as_judged();
    }

    void finish_as_judged() {
        reactor_.unwatch(fd_.get());
        outcome_.timing.total_us = micros_between(start_, Clock::now());
        auto done = std::move(done_);
        done(std::move(outcome_));
    }

    net::Reactor& reactor_;
    bool ftp_;
    net::Fd fd_;
    Clock::time_point start_;
    CheckDone done_;
    Phase phase_ = Phase::connecting;
    Outcome outcome_;
    std::string received_;
    bool closed_ = false;
};

std::unique_ptr<RunningCheck> start_stream_check(net::Reactor& reactor, const Target& target, bool ftp,
                                                 CheckDone done) {
    const auto start = Clock::now();
    auto fd = connect_or_finish(target, SOCK_STREAM, start, done);
    if (!fd) return nullptr;
    auto check = std::make_unique<StreamCheck>(reactor, ftp, std::move(*fd), start, std::move(done));
    return check->begin() ? std::move(check) : nullptr;
}

// A UDP query on a connected socket: only the target's answers arrive, and an ICMP port
// unreachable ends the check at once instead of at the deadline.
class DnsCheck final : public RunningCheck {
public:
    DnsCheck(net::Reactor& reactor, const Target& target, net::Fd fd, Clock::time_point start, CheckDone done)
        : reactor_(reactor), target_(target), fd_(std::move(fd)), start_(start), done_(std::move(done)) {}
    ~DnsCheck() override { reactor_.unwatch(fd_.get()); }

    bool begin() {
        expected_ = udn::net::IpAddress::parse(target_.check.expect_address);
        const auto type = expected_ && !expected_->is_v4() ? dns_type_aaaa : dns_type_a;
        const auto query = build_dns_query(id_, target_.check.query_name, type);
        if (!query) {
            finish(report::CheckResult::other_error, "invalid query_name");
            return false;
        }
        if (::send(fd_.get(), query->data(), query->size(), MSG_DONTWAIT) != static_cast<ssize_t>(query->size())) {
            finish(report::CheckResult::connect_failed, std::string("send: ") + std::strerror(errno));
            return false;
        }
        if (!reactor_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { on_readable(); })) {
            finish(report::CheckResult::other_error, "cannot watch the socket");
            return false;
        }
        return true;
    }

    Outcome expire() override {
        reactor_.unwatch(fd_.get());
        Outcome outcome;
        outcome.result = report::CheckResult::timeout;
        outcome.detail = "no DNS response";
        outcome.timing.total_us = micros_between(start_, reactor_.now());
        return outcome;
    }

private:
    void on_readable() {
        std::array<std::uint8_t, 4096> buffer{};
        // Bounded: a flood of wrong answers cannot keep the loop here.
        for (int datagrams = 0; datagrams < 16; ++datagrams) {
            const auto size = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (size < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                const auto detail = errno == ECONNREFUSED ? std::string("port unreachable")
                                                          : std::string("receive: ") + std::strerror(errno);
                return finish(report::CheckResult::connect_failed, detail);
            }
            auto response = parse_dns_response(std::span(buffer.data(), static_cast<std::size_t>(size)));
            if (response && response->id == id_) return judge(*response);
        }
    }

    void judge(const DnsResponse& response) {
        outcome_.timing.first_byte_us = micros_between(start_, Clock::now());
        outcome_.code = response.rcode;
        if (response.rcode != 0) return finish(report::CheckResult::bad_status, "rcode " + std::to_string(response.rcode));
        if (expected_ && std::find(response.addresses.begin(), response.addresses.end(), *expected_) ==
                             response.addresses.end()) {
            return finish(report::CheckResult::wrong_answer, "answer lacks " + expected_->to_string());
        }
        finish(report::CheckResult::ok, std::to_string(response.addresses.size()) + " addresses");
    }

    void finish(report::CheckResult result, std::string detail) {
        reactor_.unwatch(fd_.get());
        outcome_.result = result;
        outcome_.detail = std::move(detail);
        outcome_.timing.total_us = micros_between(start_, Clock::now());
        auto done = std::move(done_);
        done(std::move(outcome_));
    }

    net::Reactor& reactor_;
    const Target& target_;
    net::Fd fd_;
    Clock::time_point start_;
    CheckDone done_;
    std::uint16_t id_ = random_id();
    std::optional<udn::net::IpAddress> expected_;
    Outcome outcome_;
};

}  // namespace

std::unique_ptr<RunningCheck> start_tcp_check(net::Reactor& reactor, const Target& target, CheckDone done) {
    return start_stream_check(reactor, target, false, std::move(done));
}

std::unique_ptr<RunningCheck> start_ftp_check(net::Reactor& reactor, const Target& target, CheckDone done) {
    return start_stream_check(reactor, target, true, std::move(done));
}

std::unique_ptr<RunningCheck> start_dns_check(net::Reactor& reactor, const Target& target, CheckDone done) {
    const auto start = Clock::now();
    auto fd = connect_or_finish(target, SOCK_DGRAM, start, done);
    if (!fd) return nullptr;
    auto check = std::make_unique<DnsCheck>(reactor, target, std::move(*fd), start, std::move(done));
    return check->begin() ? std::move(check) : nullptr;
}

}  // namespace udn::probe::service
