#include "probe/service/checks.hpp"

#include "probe/service/http_checks.hpp"

namespace udn::probe::service {

CheckRunner::CheckRunner(net::Reactor& reactor) : reactor_(reactor), http_(std::make_unique<HttpChecks>(reactor)) {}

CheckRunner::~CheckRunner() = default;

std::unique_ptr<RunningCheck> CheckRunner::start(const Target& target, CheckDone done) {
    switch (target.check.type) {
        case config::CheckType::http: return http_->start(target, false, std::move(done));
        case config::CheckType::https: return http_->start(target, true, std::move(done));
        case config::CheckType::tcp: return start_tcp_check(reactor_, target, std::move(done));
        case config::CheckType::dns: return start_dns_check(reactor_, target, std::move(done));
        case config::CheckType::ftp: return start_ftp_check(reactor_, target, std::move(done));
        case config::CheckType::none: break;
    }
    done(Outcome{report::CheckResult::other_error, 0, {}, "no check configured"});
    return nullptr;
}

Outcome run_check(const Target& target) {
    net::Reactor reactor;
    CheckRunner runner(reactor);
    std::optional<Outcome> outcome;
    auto check = runner.start(target, [&outcome](Outcome result) { outcome = std::move(result); });
    const auto deadline = reactor.now() + std::chrono::milliseconds(target.check.timeout_ms);
    while (!outcome) {
        if (!check) return Outcome{report::CheckResult::other_error, 0, {}, "the check neither started nor finished"};
        if (reactor.now() >= deadline) return check->expire();
        reactor.run_once(std::chrono::ceil<std::chrono::milliseconds>(deadline - reactor.now()));
    }
    return std::move(*outcome);
}

}  // namespace udn::probe::service
