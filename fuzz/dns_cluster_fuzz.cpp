// Fuzzes the envelope of queries forwarded between DNS servers (ports.dns_cluster): every input
// is either rejected or parses into an envelope whose message lies inside the datagram, and
// writing the parsed header back reproduces the input's header bytes; a persistence handover's
// records read back and written again give the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "dns/cluster/envelope.hpp"
#include "dns/cluster/handover.hpp"

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
    if (envelope->kind != EnvelopeKind::persistence) return 0;
    std::vector<udn::dns::gslb::PersistenceTable::Held> records;
    const bool whole = read_handover(envelope->message, [&](const auto& held) { records.push_back(held); });
    if (whole != (envelope->message.size() % handover_record_bytes == 0)) std::abort();
    if (!whole || records.size() > max_handover_records) return 0;
    std::vector<std::uint8_t> again(max_envelope_header_bytes + records.size() * handover_record_bytes);
    const auto again_size = write_handover(again, records);
    const auto again_header = again_size - records.size() * handover_record_bytes;
    if (again_size == 0 || std::memcmp(again.data() + again_header, envelope->message.data(), envelope->message.size()) != 0)
        std::abort();
    return 0;
}
