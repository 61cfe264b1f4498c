#include "common/report/verifier.hpp"

namespace udn::report {

// A datagram accepted at time T carries a timestamp of at most T + max_age, so its replay is
// stale from T + 2 * max_age on: only then may the sender's window be forgotten.
bool ReplayGuard::expired(const SenderWindow& sender, std::uint64_t now_ms) const {
    return now_ms > sender.last_accepted_ms + 2ull * max_age_ms_;
}

void ReplayGuard::evict_expired(std::uint64_t now_ms) {
    std::erase_if(senders_, [&](const auto& entry) { return expired(entry.second, now_ms); });
}

std::optional<Error> ReplayGuard::admit(const Header& header, std::uint64_t now_ms) {
    if (now_ms > max_age_ms_ && header.timestamp_ms < now_ms - max_age_ms_) return Error::stale;
    if (header.timestamp_ms > now_ms + max_age_ms_) return Error::from_future;

    auto found = senders_.find(header.sender);
    if (found != senders_.end() && expired(found->second, now_ms)) {
        senders_.erase(found);
        found = senders_.end();
    }
    if (found == senders_.end()) {
        if (senders_.size() >= max_senders_) evict_expired(now_ms);
        if (senders_.size() >= max_senders_) return Error::too_many_senders;
        SenderWindow fresh;
        fresh.highest = header.sequence;
        fresh.seen.set(0);
        fresh.last_accepted_ms = now_ms;
        senders_.emplace(header.sender, fresh);
        return std::nullopt;
    }

    auto& sender = found->second;
    if (header.sequence > sender.highest) {
        const auto shift = header.sequence - sender.highest;
        if (shift >= window) {
            sender.seen.reset();
        } else {
            sender.seen <<= shift;
        }
        sender.seen.set(0);
        sender.highest = header.sequence;
    } else {
        const auto behind = sender.highest - header.sequence;
        if (behind >= window || sender.seen.test(behind)) return Error::replayed;
        sender.seen.set(behind);
    }
    sender.last_accepted_ms = now_ms;
    return std::nullopt;
}

Result<Message> Verifier::accept(std::span<const std::uint8_t> datagram, std::uint64_t now_ms) {
    auto message = decode(datagram, key_);
    std::optional<Error> error;
    if (!message) {
        error = message.error();
    } else {
        error = guard_.admit(message.value().header, now_ms);
    }
    if (error) {
        ++counters_.rejected[static_cast<std::size_t>(*error) % counters_.rejected.size()];
        return *error;
    }
    ++counters_.accepted;
    return message;
}

}  // namespace udn::report
