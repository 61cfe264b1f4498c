// Encodes report-protocol messages (message.hpp) into HMAC-authenticated datagrams and decodes
// them back, bounds-checked, with errors as values (docs/protocols.md has the format).
// Most receivers want verifier.hpp (decode + replay/staleness checks) and senders signer.hpp.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/report/key.hpp"
#include "common/report/message.hpp"

namespace udn::report {

enum class Error : std::uint8_t {
    too_short,        // shorter than the smallest possible datagram
    bad_magic,        // not a udn report-protocol datagram
    bad_version,      // a protocol version this build does not speak
    bad_mac,          // forged, corrupted, or signed with another key
    unknown_type,
    truncated,        // a field runs past the end of the datagram
    trailing_bytes,   // bytes left after the last field
    bad_value,        // a field holds a value outside its range (enum, family, flag)
    too_large,        // encode: a name, list or the whole datagram exceeds the limits
    stale,            // verifier: timestamp older than the replay window
    from_future,      // verifier: timestamp further ahead than the window allows
    replayed,         // verifier: sequence already seen (or too old) for this sender
    too_many_senders, // verifier: the sender table is full of live senders
};

std::string_view to_string(Error error);

// A value or an Error; the data path's result type.
template <class T>
class Result {
public:
    Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : state_(error) {}          // NOLINT
    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    Error error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

// The datagram of `message` with its MAC appended; too_large if a limit is exceeded.
Result<std::vector<std::uint8_t>> encode(const Header& header, const Body& body, const Key& key);
Result<std::vector<std::uint8_t>> encode(const Message& message, const Key& key);
// In the given wire version (bad_version outside oldest..newest_protocol_version); version 1
// leaves the loss fields out. encode() picks the version itself (wire_version_of); this is for
// tests and for re-encoding what was decoded.
Result<std::vector<std::uint8_t>> encode_as(std::uint8_t version, const Header& header, const Body& body,
                                            const Key& key);
std::uint8_t wire_version_of(MessageType type);

// Accepts every version from oldest to newest_protocol_version; a version-1 body decodes
// with its loss fields 0 (loss_checks / attempts 0 = not measured).
// Checks the MAC first (nothing unauthenticated is parsed beyond the fixed prefix), then the
// fields. Does not check staleness or replay: that needs receiver state (verifier.hpp).
Result<Message> decode(std::span<const std::uint8_t> datagram, const Key& key);

}  // namespace udn::report
