// What `udn check` adds for the cache's HTTPS certificates: every problem the cache would refuse
// them for at start-up or reload (unreadable file, no certificate or key in it, a key that does
// not match, a listed name the certificate does not cover or that is not the customer's).
#pragma once
#include <vector>

#include "common/config/config.hpp"
#include "common/config/loader.hpp"

namespace udn::cache::tls {

std::vector<config::Diagnostic> check_certificates(const config::Config& config);

}  // namespace udn::cache::tls
