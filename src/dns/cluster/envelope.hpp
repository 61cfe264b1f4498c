// The datagram DNS servers exchange on ports.dns_cluster: a forwarded query carries the original
// client's address (the owner decides for that client, not for the forwarding server) and a tag
// that matches the owner's answer to the waiting query. The DNS message inside is the client's,
// byte for byte, and the answer is exactly what the client gets. Format in docs/protocols.md.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "common/net/ip_address.hpp"

namespace udn::dns::cluster {

// A stream query came over TCP: the owner answers it as over TCP (no UDP size limit, only the
// datagram's), and the forwarder relays it on the client's connection.
// `persistence` and `latency` carry client state to a client's new owner (cluster/handover.hpp).
enum class EnvelopeKind : std::uint8_t { query = 1, answer = 2, stream_query = 3, persistence = 4, latency = 5 };

inline bool is_query(EnvelopeKind kind) { return kind == EnvelopeKind::query || kind == EnvelopeKind::stream_query; }
inline bool is_handover(EnvelopeKind kind) {
    return kind == EnvelopeKind::persistence || kind == EnvelopeKind::latency;
}

struct Envelope {
    EnvelopeKind kind = EnvelopeKind::query;
    std::uint32_t tag = 0;
    net::IpAddress client;                  // queries (both kinds) only
    std::span<const std::uint8_t> message;  // the DNS message
};

inline constexpr std::size_t max_envelope_header_bytes = 4 + 1 + 1 + 4 + 1 + 16;

// Null for anything that is not a well-formed envelope of our version (never throws).
std::optional<Envelope> parse_envelope(std::span<const std::uint8_t> datagram);

// Writes the header of a query (with `client`) or an answer (client ignored) into `out` and
// returns its size; the message follows it. 0 when `out` is too small.
std::size_t write_envelope_header(std::span<std::uint8_t> out, EnvelopeKind kind, std::uint32_t tag,
                                  const net::IpAddress& client);

}  // namespace udn::dns::cluster
