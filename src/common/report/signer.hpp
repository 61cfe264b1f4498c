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
    // Sequences come from one counter per process that starts at the first signer's creation
    // time in microseconds, so that they keep growing across restarts (receivers remember the
    // highest one seen) while a process sends fewer than a million messages per second on
    // average. One counter, not one per signer: a probe signs service reports and latency
    // reports with two signers under one sender name, and two counters started some
    // milliseconds apart would put one stream thousands of sequences ahead of the other, so
    // the receiver's replay window dropped every report of the stream behind.
    Signer(Key key, std::string sender) : key_(std::move(key)), sender_(std::move(sender)) {}
    // Its own counter from `first_sequence` (tests).
    Signer(Key key, std::string sender, std::uint64_t first_sequence)
        : key_(std::move(key)), sender_(std::move(sender)), own_sequence_(true), next_sequence_(first_sequence) {}

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
    bool own_sequence_ = false;
    std::atomic<std::uint64_t> next_sequence_{0};
};

}  // namespace udn::report
