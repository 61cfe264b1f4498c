#include "probe/latency/method.hpp"

namespace udn::probe::latency {

std::string_view name_of(report::LatencyMethod method) {
    switch (method) {
        case report::LatencyMethod::none: return "none";
        case report::LatencyMethod::dns_query: return "dns_query";
        case report::LatencyMethod::tcp_connect: return "tcp_connect";
        case report::LatencyMethod::icmp_echo: return "icmp_echo";
    }
    return "?";
}

std::vector<std::unique_ptr<Method>> default_methods(net::Reactor& reactor, std::size_t max_tcp_sockets) {
    std::vector<std::unique_ptr<Method>> methods;
    methods.push_back(make_dns_query_method(reactor));
    methods.push_back(make_tcp_connect_method(reactor, 53, max_tcp_sockets));
    if (auto icmp = make_icmp_echo_method(reactor)) methods.push_back(std::move(icmp));
    return methods;
}

}  // namespace udn::probe::latency
