#include "probe/reporter.hpp"

#include <algorithm>

namespace udn::probe {

std::vector<udn::net::Endpoint> report_destinations(const config::Config& config) {
    std::vector<udn::net::Endpoint> destinations;
    const auto add = [&](const config::Server* server) {
        if (!server || server->addresses.empty()) return;
        const udn::net::Endpoint endpoint{server->addresses.front(), config.ports.reports};
        if (std::find(destinations.begin(), destinations.end(), endpoint) == destinations.end()) {
            destinations.push_back(endpoint);
        }
    };
    for (const auto* server : config.servers_with_role(config::Role::dns)) add(server);
    for (const auto* server : config.servers_with_role(config::Role::logs)) add(server);
    for (const auto& log_server : config.log_servers) add(config.find_server(log_server.server));
    return destinations;
}

Reporter::Reporter(report::Key key, std::string sender, std::vector<udn::net::Endpoint> destinations)
    : signer_(std::move(key), std::move(sender)),
      destinations_(std::move(destinations)),
      v4_(net::UdpSocket::open(udn::net::IpAddress::Family::v4)),
      v6_(net::UdpSocket::open(udn::net::IpAddress::Family::v6)) {}

std::size_t Reporter::send(const report::Body& body, std::uint64_t timestamp_ms) {
    auto sealed = signer_.seal(body, timestamp_ms);
    if (!sealed) {
        failed_.fetch_add(destinations_.size(), std::memory_order_relaxed);
        return 0;
    }
    std::size_t delivered = 0;
    for (const auto& destination : destinations_) {
        const auto& socket = destination.address.is_v4() ? v4_ : v6_;
        if (socket.send_to(destination, sealed.value().datagram)) {
            ++delivered;
        } else {
            failed_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    sent_.fetch_add(delivered, std::memory_order_relaxed);
    return delivered;
}

}  // namespace udn::probe
