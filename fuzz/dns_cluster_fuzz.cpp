// Fuzzes the envelope of queries forwarded between DNS servers (ports.dns_cluster): every input
// is either rejected or parses into an envelope whose message lies inside the datagram, and
// writing the parsed header back reproduces the input's header bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "dns/cluster/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace udn::dns::cluster;
    const std::span<const std::uint8_t> datagram(data, size);
    const auto envelope = parse_envelope(datagram);
    if (!envelope) return 0;
    const auto header_size = static_cast<std::size_t>(envelope->message.data() - data);
    if (envelope->message.size() < 12 || header_size + envelope->message.size() != size)
        std::abort();
    std::vector<std::uint8_t> header(max_envelope_header_bytes);
    const auto written =
        write_envelope_header(header, envelope->kind, envelope->tag, envelope->client);
    if (written != header_size || std::memcmp(header.data(), data, written) != 0) std::abort();
    return 0;
}
