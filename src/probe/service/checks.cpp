#include "probe/service/checks.hpp"

namespace udn::probe::service {

Outcome run_check(const Target& target) {
    switch (target.check.type) {
        case config::CheckType::http: return http_check(target, false);
        case config::CheckType::https: return http_check(target, true);
        case config::CheckType::tcp: return tcp_check(target);
        case config::CheckType::dns: return dns_check(target);
        case config::CheckType::ftp: return ftp_check(target);
        case config::CheckType::none: break;
    }
    return Outcome{report::CheckResult::other_error, 0, {}, "no check configured"};
}

}  // namespace udn::probe::service
