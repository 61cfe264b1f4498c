#include "probe/latency/latency_probe.hpp"

#include <spdlog/spdlog.h>

namespace udn::probe::latency {

LatencyProbe::LatencyProbe(report::Key key, Settings settings, std::unique_ptr<Measurer> measurer)
    : settings_(std::move(settings)),
      signer_(key, settings_.sender),
      verifier_(key, settings_.max_age_ms),
      measurer_(std::move(measurer)),
      socket_(net::UdpSocket::bind(settings_.bind)),
      table_(ResolverTable::Settings{settings_.staleness_ms / 2, settings_.staleness_ms * 2, 100'000}) {
    settings_.batch_max = std::clamp<std::size_t>(settings_.batch_max, 1, report::max_addresses_per_datagram);
}

LatencyProbe::~LatencyProbe() { stop(); }

void LatencyProbe::start() {
    receiver_ = std::thread([this] { receive_loop(); });
    for (std::size_t i = 0; i < std::max<std::size_t>(settings_.threads, 1); ++i) {
        workers_.emplace_back([this] { measure_loop(); });
    }
}

void LatencyProbe::stop() {
    stopping_ = true;
    queue_ready_.notify_all();
    if (receiver_.joinable()) receiver_.join();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
}

std::size_t LatencyProbe::table_size() {
    std::lock_guard lock(table_mutex_);
    return table_.size();
}

void LatencyProbe::receive_loop() {
    std::array<std::uint8_t, report::max_datagram_bytes> buffer{};
    auto next_housekeeping = std::chrono::steady_clock::now();
    while (!stopping_) {
        if (auto datagram = socket_.receive(buffer, std::chrono::milliseconds(50))) {
            auto message = verifier_.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
            const auto* request = message ? std::get_if<report::LatencyRequest>(&message.value().body) : nullptr;
            if (request) {
                ++requests_;
                handle_request(*request, datagram->from);
            } else {
                ++dropped_;
            }
        }
        flush();
        if (std::chrono::steady_clock::now() >= next_housekeeping) {
            next_housekeeping += std::chrono::seconds(1);
            const auto now_ms = report::unix_time_ms();
            std::vector<udn::net::IpAddress> due;
            {
                std::lock_guard lock(table_mutex_);
                table_.forget_idle(now_ms);
                due = table_.due_for_refresh(now_ms, 10'000);
            }
            enqueue(std::move(due));
        }
    }
}

void LatencyProbe::handle_request(const report::LatencyRequest& request, const udn::net::Endpoint& requester) {
    const auto now_ms = report::unix_time_ms();
    std::vector<report::LatencyMeasurement> known;
    std::vector<udn::net::IpAddress> to_measure;
    {
        std::lock_guard lock(table_mutex_);
        for (const auto& client : request.clients) {
            if (auto fresh = table_.request(client, requester, now_ms)) {
                known.push_back(*fresh);
            } else if (table_.begin_measuring(client)) {
                to_measure.push_back(client);
            }
        }
    }
    for (const auto& measurement : known) queue_result(requester, measurement);
    enqueue(std::move(to_measure));
}

void LatencyProbe::enqueue(std::vector<udn::net::IpAddress> clients) {
    if (clients.empty()) return;
    std::vector<udn::net::IpAddress> refused;
    {
        std::lock_guard lock(queue_mutex_);
        for (auto& client : clients) {
            if (queue_.size() < settings_.max_queue) {
                queue_.push_back(client);
            } else {
                refused.push_back(client);
            }
        }
    }
    queue_ready_.notify_all();
    if (refused.empty()) return;
    // Overloaded: leave them unmeasured (measured_at 0 is never fresh), so a later request
    // or the refresher tries again.
    std::lock_guard lock(table_mutex_);
    for (const auto& client : refused) {
        report::LatencyMeasurement unknown;
        unknown.client = client;
        table_.record(unknown);
    }
}

void LatencyProbe::measure_loop() {
    while (!stopping_) {
        udn::net::IpAddress client;
        {
            std::unique_lock lock(queue_mutex_);
            queue_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            client = queue_.front();
            queue_.pop_front();
        }
        const auto measurement = measurer_->measure(client);
        std::vector<udn::net::Endpoint> requesters;
        {
            std::lock_guard lock(table_mutex_);
            requesters = table_.record(measurement);
        }
        for (const auto& requester : requesters) queue_result(requester, measurement);
    }
}

void LatencyProbe::queue_result(const udn::net::Endpoint& requester, const report::LatencyMeasurement& measurement) {
    std::vector<report::LatencyMeasurement> full;
    {
        std::lock_guard lock(outbox_mutex_);
        auto& pending = outbox_[requester];
        pending.push_back(measurement);
        if (pending.size() >= settings_.batch_max) full.swap(pending);
    }
    if (!full.empty()) send_results(requester, std::move(full));
}

// Partial batches leave every receive tick (<= 50 ms), so a result waits at most that long.
void LatencyProbe::flush() {
    std::map<udn::net::Endpoint, std::vector<report::LatencyMeasurement>> ready;
    {
        std::lock_guard lock(outbox_mutex_);
        ready.swap(outbox_);
    }
    for (auto& [requester, measurements] : ready) {
        if (!measurements.empty()) send_results(requester, std::move(measurements));
    }
}

void LatencyProbe::send_results(const udn::net::Endpoint& to, std::vector<report::LatencyMeasurement> measurements) {
    report::LatencyResult result;
    result.pop = settings_.pop;
    result.measurements = std::move(measurements);
    auto sealed = signer_.seal(result, report::unix_time_ms());
    if (sealed) socket_.send_to(to, sealed.value().datagram);
}

}  // namespace udn::probe::latency
