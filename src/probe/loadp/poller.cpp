#include "probe/loadp/poller.hpp"
#include "common/runtime/thread_name.hpp"

#include <poll.h>

#include <algorithm>

namespace udn::probe::loadp {

LoadPoller::LoadPoller(report::Key key, Settings settings, std::vector<udn::net::Endpoint> agents)
    : settings_(std::move(settings)),
      agents_(std::move(agents)),
      signer_(key, settings_.sender),
      verifier_(key, settings_.max_age_ms),
      v4_(net::UdpSocket::open(udn::net::IpAddress::Family::v4)),
      v6_(net::UdpSocket::open(udn::net::IpAddress::Family::v6)) {
    std::sort(agents_.begin(), agents_.end());
    agents_.erase(std::unique(agents_.begin(), agents_.end()), agents_.end());
}

LoadPoller::~LoadPoller() { stop(); }

void LoadPoller::start() {
    if (agents_.empty()) return;
    thread_ = std::thread([this] {
        runtime::name_this_thread("udn-load-poll");
        run();
    });
}

void LoadPoller::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

std::optional<report::LoadSample> LoadPoller::latest(const udn::net::Endpoint& agent) const {
    std::lock_guard lock(mutex_);
    const auto found = latest_.find(agent);
    if (found == latest_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - found->second.received > 3 * settings_.interval) return std::nullopt;
    return found->second.sample;
}

void LoadPoller::run() {
    while (!stopping_) {
        const auto next = std::chrono::steady_clock::now() + settings_.interval;
        send_queries();
        receive_until(next);
    }
}

void LoadPoller::send_queries() {
    // Queries older than one round got no answer: forget them, so the table stays bounded.
    outstanding_.clear();
    const auto now_ms = report::unix_time_ms();
    for (const auto& agent : agents_) {
        auto sealed = signer_.seal(report::LoadQuery{}, now_ms);
        if (!sealed) continue;
        const auto& socket = agent.address.is_v4() ? v4_ : v6_;
        if (socket.send_to(agent, sealed.value().datagram)) outstanding_[sealed.value().sequence] = agent;
    }
}

void LoadPoller::receive_until(std::chrono::steady_clock::time_point until) {
    std::array<std::uint8_t, 2048> buffer{};
    while (!stopping_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd items[2] = {{v4_.fd(), POLLIN, 0}, {v6_.fd(), POLLIN, 0}};
        if (::poll(items, 2, static_cast<int>(std::min<long>(left.count(), 100))) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (!(items[i].revents & POLLIN)) continue;
            const auto& socket = i == 0 ? v4_ : v6_;
            auto datagram = socket.receive(buffer, std::chrono::milliseconds(0));
            if (!datagram) continue;
            auto message = verifier_.accept(std::span(buffer.data(), datagram->size_bytes), report::unix_time_ms());
            if (!message) continue;
            const auto* answer = std::get_if<report::LoadAnswer>(&message.value().body);
            if (!answer) continue;
            const auto asked = outstanding_.find(answer->query_sequence);
            if (asked == outstanding_.end() || asked->second != datagram->from) continue;
            outstanding_.erase(asked);
            ++accepted_;
            std::lock_guard lock(mutex_);
            latest_[datagram->from] = Known{answer->load, std::chrono::steady_clock::now()};
        }
    }
}

}  // namespace udn::probe::loadp
