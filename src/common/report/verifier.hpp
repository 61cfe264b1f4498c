// The receiving side of the report protocol: drops forged (bad MAC), stale, future-dated and
// replayed datagrams. ReplayGuard keeps the per-sender state; Verifier = decode + guard +
// counters, what a receiver socket loop calls. Neither is thread-safe: use one per receiving
// thread (SO_REUSEPORT keeps a sender on one socket) or guard it with a lock.
#pragma once
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/report/codec.hpp"

namespace udn::report {

class ReplayGuard {
public:
    // Sequences up to this far below a sender's highest are still accepted once each, so
    // reordering on the way (or several sending threads) does not lose reports.
    static constexpr std::size_t window = 1024;

    // max_age_ms: config probe.report_max_age_ms. A timestamp more than max_age_ms in the past
    // is stale; more than max_age_ms in the future (clock skew) is rejected too.
    explicit ReplayGuard(std::uint32_t max_age_ms, std::size_t max_senders = 4096)
        : max_age_ms_(max_age_ms), max_senders_(max_senders) {}

    // Accepts a header (of a datagram whose MAC was already verified) at receiver time now_ms,
    // recording its sequence, or says why not: stale, from_future, replayed, too_many_senders.
    std::optional<Error> admit(const Header& header, std::uint64_t now_ms);

    void set_max_age_ms(std::uint32_t max_age_ms) { max_age_ms_ = max_age_ms; }
    std::size_t sender_count() const { return senders_.size(); }

private:
    struct SenderWindow {
        std::uint64_t highest = 0;
        std::bitset<window> seen;  // bit i: sequence highest - i was accepted
        std::uint64_t last_accepted_ms = 0;
    };
    bool expired(const SenderWindow& sender, std::uint64_t now_ms) const;
    void evict_expired(std::uint64_t now_ms);

    std::uint32_t max_age_ms_;
    std::size_t max_senders_;
    std::unordered_map<std::string, SenderWindow> senders_;
};

class Verifier {
public:
    Verifier(Key key, std::uint32_t max_age_ms) : key_(std::move(key)), guard_(max_age_ms) {}

    // The message if it is authentic, fresh and new; otherwise the reason it was dropped.
    Result<Message> accept(std::span<const std::uint8_t> datagram, std::uint64_t now_ms);

    struct Counters {
        std::uint64_t accepted = 0;
        std::array<std::uint64_t, 16> rejected{};  // indexed by Error
    };
    const Counters& counters() const { return counters_; }
    ReplayGuard& guard() { return guard_; }

private:
    Key key_;
    ReplayGuard guard_;
    Counters counters_;
};

}  // namespace udn::report
