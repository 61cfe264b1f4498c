// Fuzzes the probe's DNS response reader (src/probe/service/dns_message.hpp), which reads what
// origins (dns checks) and client resolvers (latency probe) send back.
#include <cstdint>
#include <span>

#include "probe/service/dns_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)udn::probe::service::parse_dns_response(std::span(data, size));
    return 0;
}
