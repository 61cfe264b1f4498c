// The sending side of the report protocol: stamps each message with this sender's name and
// next sequence number, and signs it. Thread-safe.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "common/report/codec.hpp"

namespace udn::report {

// Wall-clock time, the protocol's time base (docs/protocols.md).
std::uint64_t unix_time_ms();
std::uint64_t unix_time_us();

class Signer {
public:
    // Sequences start at the start-up time in microseconds, so that they keep growing across
    // restarts (receivers remember the highest one seen) while a sender sends fewer than a
    // million messages per second on average.
    Signer(Key key, std::string sender) : Signer(std::move(key), std::move(sender), unix_time_us()) {}
    Signer(Key key, std::string sender, std::uint64_t first_sequence)
        : key_(std::move(key)), sender_(std::move(sender)), next_sequence_(first_sequence) {}

    // Signs `body` as measured (reports) or sent (requests) at `timestamp_ms`. The returned
    // sequence (in the Message's header) is what a LoadAnswer echoes.
    struct Sealed {
        std::vector<std::uint8_t> datagram;
        std::uint64_t sequence = 0;
    };
    Result<Sealed> seal(const Body& body, std::uint64_t timestamp_ms);

    const std::string& sender() const { return sender_; }
    const Key& key() const { return key_; }

private:
    Key key_;
    std::string sender_;
    std::atomic<std::uint64_t> next_sequence_;
};

}  // namespace udn::report
