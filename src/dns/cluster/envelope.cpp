#include "dns/cluster/envelope.hpp"

#include <array>
#include <cstring>

namespace udn::dns::cluster {
namespace {

constexpr std::array<std::uint8_t, 4> magic{'U', 'D', 'N', 'F'};
constexpr std::uint8_t version = 1;
constexpr std::uint8_t family_none = 0;
constexpr std::uint8_t family_v4 = 4;
constexpr std::uint8_t family_v6 = 6;
constexpr std::size_t dns_header_bytes = 12;

}  // namespace

std::optional<Envelope> parse_envelope(std::span<const std::uint8_t> datagram) {
    constexpr std::size_t fixed = 4 + 1 + 1 + 4 + 1;
    if (datagram.size() < fixed || std::memcmp(datagram.data(), magic.data(), magic.size()) != 0)
        return std::nullopt;
    if (datagram[4] != version) return std::nullopt;
    Envelope envelope;
    const auto kind = datagram[5];
    if (kind != static_cast<std::uint8_t>(EnvelopeKind::query) &&
        kind != static_cast<std::uint8_t>(EnvelopeKind::answer) &&
        kind != static_cast<std::uint8_t>(EnvelopeKind::stream_query) &&
        kind != static_cast<std::uint8_t>(EnvelopeKind::persistence) &&
        kind != static_cast<std::uint8_t>(EnvelopeKind::latency)) {
        return std::nullopt;
    }
    envelope.kind = static_cast<EnvelopeKind>(kind);
    envelope.tag = (static_cast<std::uint32_t>(datagram[6]) << 24) |
                   (static_cast<std::uint32_t>(datagram[7]) << 16) |
                   (static_cast<std::uint32_t>(datagram[8]) << 8) | datagram[9];
    const auto family = datagram[10];
    std::size_t offset = fixed;
    if (is_query(envelope.kind)) {
        if (family == family_v4 && datagram.size() >= offset + 4) {
            envelope.client = net::IpAddress::v4({datagram[offset], datagram[offset + 1],
                                                  datagram[offset + 2], datagram[offset + 3]});
            offset += 4;
        } else if (family == family_v6 && datagram.size() >= offset + 16) {
            std::array<std::uint8_t, 16> bytes{};
            std::memcpy(bytes.data(), datagram.data() + offset, bytes.size());
            envelope.client = net::IpAddress::v6(bytes);
            offset += 16;
        } else {
            return std::nullopt;
        }
    } else if (family != family_none) {
        return std::nullopt;
    }
    if (datagram.size() < offset + dns_header_bytes) return std::nullopt;
    envelope.message = datagram.subspan(offset);
    return envelope;
}

std::size_t write_envelope_header(std::span<std::uint8_t> out, EnvelopeKind kind, std::uint32_t tag,
                                  const net::IpAddress& client) {
    const bool query = is_query(kind);
    const std::size_t size = 4 + 1 + 1 + 4 + 1 + (query ? client.size_bytes() : 0);
    if (out.size() < size) return 0;
    std::memcpy(out.data(), magic.data(), magic.size());
    out[4] = version;
    out[5] = static_cast<std::uint8_t>(kind);
    out[6] = static_cast<std::uint8_t>(tag >> 24);
    out[7] = static_cast<std::uint8_t>(tag >> 16);
    out[8] = static_cast<std::uint8_t>(tag >> 8);
    out[9] = static_cast<std::uint8_t>(tag);
    if (!query) {
        out[10] = family_none;
        return size;
    }
    out[10] = client.is_v4() ? family_v4 : family_v6;
    std::memcpy(out.data() + 11, client.bytes().data(), client.size_bytes());
    return size;
}

}  // namespace udn::dns::cluster
