#include "common/report/signer.hpp"

#include <chrono>

namespace udn::report {

std::uint64_t unix_time_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::uint64_t unix_time_us() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

namespace {

std::uint64_t next_process_sequence() {
    static std::atomic<std::uint64_t> next{unix_time_us()};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Result<Signer::Sealed> Signer::seal(const Body& body, std::uint64_t timestamp_ms) {
    const auto sequence = own_sequence_ ? next_sequence_.fetch_add(1, std::memory_order_relaxed) : next_process_sequence();
    Header header{sender_, sequence, timestamp_ms};
    auto datagram = encode(header, body, key_);
    if (!datagram) return datagram.error();
    return Sealed{std::move(datagram).value(), header.sequence};
}

}  // namespace udn::report
