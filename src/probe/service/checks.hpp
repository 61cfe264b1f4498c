// One check of one service, blocking up to check.timeout_ms, never throwing: HTTP(S) via
// libcurl, TCP connect, DNS query with an expected answer, FTP greeting + QUIT.
#pragma once
#include "probe/service/outcome.hpp"
#include "probe/service/target.hpp"

namespace udn::probe::service {

Outcome run_check(const Target& target);

Outcome http_check(const Target& target, bool tls);
Outcome tcp_check(const Target& target);
Outcome dns_check(const Target& target);
Outcome ftp_check(const Target& target);

}  // namespace udn::probe::service
