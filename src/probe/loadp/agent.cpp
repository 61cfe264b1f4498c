#include "probe/loadp/agent.hpp"

#include <spdlog/spdlog.h>

#include "common/runtime/thread_name.hpp"

namespace udn::probe::loadp {

Agent::Agent(report::Key key, Settings settings, Sampler sampler)
    : settings_(std::move(settings)),
      signer_(key, settings_.sender),
      verifier_(key, settings_.max_age_ms),
      sampler_(std::move(sampler)),
      socket_(net::UdpSocket::bind(settings_.bind)) {}

Agent::~Agent() { stop(); }

void Agent::start() {
    {
        std::lock_guard lock(sample_mutex_);
        latest_ = sampler_.sample();
        latest_at_ms_ = report::unix_time_ms();
    }
    sampler_thread_ = std::thread([this] {
        runtime::name_this_thread("udn-load-sample");
        sample_loop();
    });
    server_ = std::thread([this] {
        runtime::name_this_thread("udn-load-serve");
        serve();
    });
}

void Agent::stop() {
    stopping_ = true;
    if (server_.joinable()) server_.join();
    if (sampler_thread_.joinable()) sampler_thread_.join();
}

void Agent::sample_loop() {
    auto next = std::chrono::steady_clock::now();
    while (!stopping_) {
        next += settings_.sample_interval;
        while (!stopping_ && std::chrono::steady_clock::now() < next) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (stopping_) break;
        auto sample = sampler_.sample();
        std::lock_guard lock(sample_mutex_);
        latest_ = sample;
        latest_at_ms_ = report::unix_time_ms();
    }
}

void Agent::serve() {
    std::array<std::uint8_t, 2048> buffer{};
    while (!stopping_) {
        auto datagram = socket_.receive(buffer, std::chrono::milliseconds(100));
        if (!datagram) continue;
        auto message = verifier_.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
        if (!message || message.value().type() != report::MessageType::load_query) {
            ++dropped_;
            if (!message) spdlog::debug("loadp: dropped a datagram from {}: {}", datagram->from.to_string(),
                                        report::to_string(message.error()));
            continue;
        }
        report::LoadAnswer answer;
        answer.query_sequence = message.value().header.sequence;
        std::uint64_t measured_at_ms = 0;
        {
            std::lock_guard lock(sample_mutex_);
            answer.load = latest_;
            measured_at_ms = latest_at_ms_;
        }
        auto sealed = signer_.seal(answer, measured_at_ms);
        if (sealed && socket_.send_to(datagram->from, sealed.value().datagram)) ++answered_;
    }
}

}  // namespace udn::probe::loadp
