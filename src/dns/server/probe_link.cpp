#include "dns/server/probe_link.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/report/signer.hpp"
#include "common/report/verifier.hpp"
#include "common/runtime/thread_name.hpp"
#include "dns/server/observation_ingest.hpp"
#include "dns/server/socket_util.hpp"

namespace udn::dns::server {
namespace {

constexpr std::int64_t request_interval_ms = 250;
constexpr std::int64_t re_ask_after_ms = 30'000;  // one client is not asked again sooner

report::Key key_of(const config::Config& config) {
    auto key = report::Key::from_hex(config.network.report_key);
    if (!key) throw std::runtime_error("network.report_key is not valid hex — run `udn check` on the configuration");
    return *key;
}

}  // namespace

struct ProbeLink::Impl {
    Impl(SharedState& shared, const std::string& server_name, ProbeLinkCounters& counters)
        : shared(shared), server_name(server_name), counters(counters),
          verifier(key_of(*shared.serving.get()->config), shared.serving.get()->config->probe.report_max_age_ms),
          signer(key_of(*shared.serving.get()->config), server_name) {
        const auto config = shared.serving.get()->config;
        const auto* server = config->find_server(server_name);
        if (server == nullptr || server->addresses.empty()) {
            throw std::runtime_error("server " + server_name + " is not in the configuration");
        }
        for (const auto& address : server->addresses) {
            report_fds.push_back(bind_udp({address, config->ports.reports}, true));
        }
        latency_fd = bind_udp({server->addresses.front(), 0}, false);
        for (const int fd : report_fds) set_nonblocking(fd);
        set_nonblocking(latency_fd);
    }

    ~Impl() {
        for (const int fd : report_fds) ::close(fd);
        if (latency_fd >= 0) ::close(latency_fd);
    }

    static std::int64_t now_ms() { return static_cast<std::int64_t>(report::unix_time_ms()); }

    void run() {
        std::vector<pollfd> polls;
        for (const int fd : report_fds) polls.push_back({fd, POLLIN, 0});
        polls.push_back({latency_fd, POLLIN, 0});
        std::int64_t next_request_ms = now_ms() + request_interval_ms;
        while (!stopping.load(std::memory_order_relaxed)) {
            ::poll(polls.data(), polls.size(), static_cast<int>(request_interval_ms));
            bool changed = false;
            for (const auto& p : polls) {
                if ((p.revents & POLLIN) != 0) changed |= receive_all(p.fd);
            }
            if (changed) shared.observations.publish();
            if (now_ms() >= next_request_ms) {
                send_latency_requests();
                next_request_ms = now_ms() + request_interval_ms;
            }
        }
    }

    bool receive_all(int fd) {
        bool changed = false;
        for (int budget = 0; budget < 1024; ++budget) {
            const auto n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) break;
            const auto serving = shared.serving.get();
            const auto& config = serving->config;
            verifier.guard().set_max_age_ms(config->probe.report_max_age_ms);
            auto result = verifier.accept({buffer.data(), static_cast<std::size_t>(n)}, report::unix_time_ms());
            if (!result) {
                counters.reports_rejected.fetch_add(1, std::memory_order_relaxed);
                counters.reports_rejected_by_reason[static_cast<std::size_t>(result.error()) %
                                                    counters.reports_rejected_by_reason.size()]
                    .fetch_add(1, std::memory_order_relaxed);
                if (result.error() == report::Error::bad_version) {
                    counters.reports_bad_version.fetch_add(1, std::memory_order_relaxed);
                }
                continue;
            }
            const auto& message = result.value();
            if (const auto* service = std::get_if<report::ServiceReport>(&message.body)) {
                if (ingest_service_report(*config, message.header, *service, shared.observations)) {
                    counters.reports_accepted.fetch_add(1, std::memory_order_relaxed);
                    changed = true;
                } else {
                    counters.reports_unknown_sender.fetch_add(1, std::memory_order_relaxed);
                }
            } else if (const auto* latency = std::get_if<report::LatencyResult>(&message.body)) {
                if (ingest_latency_result(*config, *latency, shared.latency,
                                          serving->latency_slot_map())) {
                    counters.latency_results.fetch_add(1, std::memory_order_relaxed);
                }
            }
        }
        return changed;
    }

    void send_latency_requests() {
        pending.clear();
        shared.measurements.drain(pending);
        if (pending.empty()) return;
        const auto now = now_ms();
        std::vector<net::IpAddress> clients;
        for (const auto& client : pending) {
            const auto key = gslb::client_prefix_key(client);
            auto& asked_at = asked[key];
            if (asked_at != 0 && now - asked_at < re_ask_after_ms) continue;
            asked_at = now;
            clients.push_back(client);
        }
        if (asked.size() > 1'000'000) asked.clear();  // bounded memory; worst case: asked twice
        if (clients.empty()) return;
        const auto config = shared.serving.get()->config;
        const std::size_t batch = std::clamp<std::size_t>(config->probe.latency_batch_max, 1, report::max_addresses_per_datagram);
        for (const auto& pop : config->pops) {
            const config::Server* probe = nullptr;
            for (const auto& server : pop.servers) {
                if (probe == nullptr && server.has_role(config::Role::probe) && !server.addresses.empty()) probe = &server;
            }
            if (probe == nullptr) continue;
            for (std::size_t at = 0; at < clients.size(); at += batch) {
                report::LatencyRequest request;
                request.clients.assign(clients.begin() + static_cast<long>(at),
                                       clients.begin() + static_cast<long>(std::min(clients.size(), at + batch)));
                send_to(*probe, config->ports.latency, request);
            }
        }
        counters.latency_clients_requested.fetch_add(clients.size(), std::memory_order_relaxed);
    }

    void send_to(const config::Server& probe, std::uint16_t port, const report::LatencyRequest& request) {
        auto sealed = signer.seal(request, report::unix_time_ms());
        if (!sealed) return;
        sockaddr_storage address{};
        const auto length = probe.addresses.front().to_sockaddr(port, address);
        const auto& datagram = sealed.value().datagram;
        if (::sendto(latency_fd, datagram.data(), datagram.size(), MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&address), length) > 0) {
            counters.latency_requests_sent.fetch_add(1, std::memory_order_relaxed);
        }
    }

    SharedState& shared;
    std::string server_name;
    ProbeLinkCounters& counters;
    report::Verifier verifier;
    report::Signer signer;
    std::vector<int> report_fds;
    int latency_fd = -1;
    std::array<std::uint8_t, 65536> buffer{};
    std::vector<net::IpAddress> pending;
    std::unordered_map<std::uint64_t, std::int64_t> asked;
    std::atomic<bool> stopping{false};
    std::thread thread;
};

ProbeLink::ProbeLink(SharedState& shared, const std::string& server_name)
    : impl_(std::make_unique<Impl>(shared, server_name, counters_)) {}

ProbeLink::~ProbeLink() { stop(); }

void ProbeLink::start() {
    impl_->thread = std::thread([this] {
        runtime::name_this_thread("udn-dns-probes");
        impl_->run();
    });
}

void ProbeLink::stop() {
    impl_->stopping = true;
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace udn::dns::server
