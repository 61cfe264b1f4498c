#include "probe/latency/latency_probe.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <array>

#include "common/runtime/thread_name.hpp"

namespace udn::probe::latency {
namespace {

// Partial batches of results leave this often, so a result waits at most this long.
constexpr auto flush_interval = std::chrono::milliseconds(50);
constexpr auto housekeeping_interval = std::chrono::seconds(1);
// Clients due for a refresh handed to the measurer per housekeeping round.
constexpr std::size_t refreshes_per_round = 10'000;
// Requests read per readiness event, so that a flood cannot starve the measurements' timers.
constexpr int max_requests_per_event = 64;

}  // namespace

LatencyProbe::LatencyProbe(report::Key key, Settings settings, const MethodFactory& make_methods)
    : settings_(std::move(settings)),
      signer_(key, settings_.sender),
      verifier_(key, settings_.max_age_ms),
      socket_(net::UdpSocket::bind(settings_.bind)),
      measurer_(std::make_unique<Measurer>(reactor_, make_methods(reactor_), settings_.plan, settings_.limits,
                                           [this](const report::LatencyMeasurement& m) { measured(m); })),
      table_(ResolverTable::Settings{settings_.staleness_ms / 2, settings_.staleness_ms * 2, 100'000}) {
    settings_.batch_max = std::clamp<std::size_t>(settings_.batch_max, 1, report::max_addresses_per_datagram);
    reactor_.watch(socket_.fd(), EPOLLIN, [this](std::uint32_t) { receive_requests(); });
}

LatencyProbe::~LatencyProbe() { stop(); }

void LatencyProbe::start() {
    const auto now = reactor_.now();
    reactor_.add_timer(now + flush_interval, [this] { flush(); });
    reactor_.add_timer(now + housekeeping_interval, [this] { housekeeping(); });
    loop_ = std::thread([this] {
        runtime::name_this_thread("udn-probe-rtt");
        while (!stopping_) reactor_.run_once(std::chrono::milliseconds(200));
    });
}

void LatencyProbe::stop() {
    stopping_ = true;
    reactor_.wake();
    if (loop_.joinable()) loop_.join();
}

void LatencyProbe::receive_requests() {
    std::array<std::uint8_t, report::max_datagram_bytes> buffer{};
    for (int i = 0; i < max_requests_per_event; ++i) {
        const auto datagram = socket_.try_receive(buffer);
        if (!datagram) return;
        auto message = verifier_.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
        const auto* request = message ? std::get_if<report::LatencyRequest>(&message.value().body) : nullptr;
        if (request) {
            ++requests_;
            handle_request(*request, datagram->from);
        } else {
            ++dropped_;
        }
    }
}

void LatencyProbe::handle_request(const report::LatencyRequest& request, const udn::net::Endpoint& requester) {
    const auto now_ms = report::unix_time_ms();
    std::vector<udn::net::IpAddress> to_measure;
    for (const auto& client : request.clients) {
        if (auto fresh = table_.request(client, requester, now_ms)) {
            queue_result(requester, *fresh);
        } else if (table_.begin_measuring(client)) {
            to_measure.push_back(client);
        }
    }
    table_size_ = table_.size();
    measure(to_measure);
}

void LatencyProbe::measure(const std::vector<udn::net::IpAddress>& clients) {
    for (const auto& client : clients) {
        if (measurer_->submit(client)) continue;
        // Overloaded: leave it unmeasured (measured_at 0 is never fresh), so a later request or
        // the refresher tries again.
        report::LatencyMeasurement unknown;
        unknown.client = client;
        table_.record(unknown);
    }
}

void LatencyProbe::measured(const report::LatencyMeasurement& measurement) {
    for (const auto& requester : table_.record(measurement)) queue_result(requester, measurement);
}

void LatencyProbe::housekeeping() {
    const auto now_ms = report::unix_time_ms();
    table_.forget_idle(now_ms);
    measure(table_.due_for_refresh(now_ms, refreshes_per_round));
    table_size_ = table_.size();
    reactor_.add_timer(reactor_.now() + housekeeping_interval, [this] { housekeeping(); });
}

void LatencyProbe::queue_result(const udn::net::Endpoint& requester, const report::LatencyMeasurement& measurement) {
    auto& pending = outbox_[requester];
    pending.push_back(measurement);
    if (pending.size() < settings_.batch_max) return;
    std::vector<report::LatencyMeasurement> full;
    full.swap(pending);
    send_results(requester, std::move(full));
}

void LatencyProbe::flush() {
    for (auto& [requester, measurements] : outbox_) {
        if (!measurements.empty()) send_results(requester, std::move(measurements));
    }
    outbox_.clear();
    reactor_.add_timer(reactor_.now() + flush_interval, [this] { flush(); });
}

void LatencyProbe::send_results(const udn::net::Endpoint& to, std::vector<report::LatencyMeasurement> measurements) {
    report::LatencyResult result;
    result.pop = settings_.pop;
    result.measurements = std::move(measurements);
    auto sealed = signer_.seal(result, report::unix_time_ms());
    if (sealed) socket_.send_to(to, sealed.value().datagram);
}

}  // namespace udn::probe::latency
