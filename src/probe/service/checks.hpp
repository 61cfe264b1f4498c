// Non-blocking service checks on one Reactor, never throwing: HTTP(S) through libcurl's multi
// interface, TCP connect, DNS query with an expected answer, FTP greeting + QUIT.
#pragma once
#include <memory>

#include "probe/net/reactor.hpp"
#include "probe/service/running_check.hpp"

namespace udn::probe::service {

class HttpChecks;

// Starts checks of every type on one reactor; owns the libcurl multi handle of that reactor.
// Must outlive the checks it started. Single-threaded, like the reactor.
class CheckRunner {
public:
    explicit CheckRunner(net::Reactor& reactor);
    ~CheckRunner();
    CheckRunner(const CheckRunner&) = delete;
    CheckRunner& operator=(const CheckRunner&) = delete;

    std::unique_ptr<RunningCheck> start(const Target& target, CheckDone done);

private:
    net::Reactor& reactor_;
    std::unique_ptr<HttpChecks> http_;
};

// One check to completion on a private reactor, bounded by check.timeout_ms (tools and tests).
Outcome run_check(const Target& target);

// The socket checks of socket_checks.cpp (CheckRunner picks by type).
std::unique_ptr<RunningCheck> start_tcp_check(net::Reactor& reactor, const Target& target, CheckDone done);
std::unique_ptr<RunningCheck> start_ftp_check(net::Reactor& reactor, const Target& target, CheckDone done);
std::unique_ptr<RunningCheck> start_dns_check(net::Reactor& reactor, const Target& target, CheckDone done);

}  // namespace udn::probe::service
