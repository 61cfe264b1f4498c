// Fuzzes the envelope of queries forwarded between DNS servers (ports.dns_cluster): every input
// is either rejected or parses into an envelope whose message lies inside the datagram, and
// writing the parsed header back reproduces the input's header bytes; a handover's records
// (persistence or latency) read back and written again give the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/cluster/envelope.hpp"
#include "dns/cluster/handover.hpp"

namespace {

// The fuzzer cannot forge the MAC: a handover it wrote must be refused unless the MAC verifies;
// with the input's records sealed under the key, they must read back and write again to the
// same bytes.
// `context`: what the kind's MAC covers before the records (cluster::detail).
template <typename Record, typename Read, typename Write>
void check_sealed_round_trip(const udn::dns::cluster::Envelope& envelope, std::size_t header_size,
                             std::size_t record_bytes, std::size_t max_records, std::string_view context,
                             const Read& read, const Write& write) {
    using udn::dns::cluster::detail::handover_mac;
    static const auto key = *udn::report::Key::from_hex(std::string(64, 'a'));
    const auto message = envelope.message;
    std::vector<Record> records;
    const auto collect = [&](const Record& record) { records.push_back(record); };
    if (read(message, key, collect)) {
        const auto expected = handover_mac(context, message.first(message.size() - udn::report::mac_bytes), key);
        const auto stored = message.last(udn::report::mac_bytes);
        if (!std::equal(expected.begin(), expected.end(), stored.begin())) std::abort();
    }
    records.clear();
    const auto body = message.first(message.size() - message.size() % record_bytes);
    if (body.size() / record_bytes > max_records) return;
    std::vector<std::uint8_t> sealed(udn::dns::cluster::max_envelope_header_bytes + body.size() +
                                     udn::report::mac_bytes);
    std::memcpy(sealed.data() + header_size, body.data(), body.size());
    const auto mac = handover_mac(context, body, key);
    std::memcpy(sealed.data() + header_size + body.size(), mac.data(), mac.size());
    const auto sealed_message =
        std::span<const std::uint8_t>(sealed).subspan(header_size, body.size() + mac.size());
    if (read(sealed_message, key, collect) != !body.empty()) std::abort();
    if (records.empty()) return;
    std::vector<std::uint8_t> again(sealed.size() + udn::dns::cluster::max_envelope_header_bytes);
    const auto again_size = write(std::span<std::uint8_t>(again), std::span<const Record>(records), key);
    const auto again_header = again_size - body.size() - mac.size();
    if (again_size == 0 ||
        std::memcmp(again.data() + again_header, sealed_message.data(), sealed_message.size()) != 0)
        std::abort();
}

}  // namespace

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
    if (envelope->kind == EnvelopeKind::persistence) {
        check_sealed_round_trip<udn::dns::gslb::PersistenceTable::Held>(
            *envelope, written, handover_record_bytes, max_handover_records, detail::persistence_context,
            [](auto message, const auto& key, const auto& each) { return read_handover(message, key, each); },
            [](auto out, auto records, const auto& key) { return write_handover(out, records, key); });
    } else if (envelope->kind == EnvelopeKind::latency) {
        check_sealed_round_trip<LatencyRecord>(
            *envelope, written, latency_record_bytes, max_latency_records, detail::latency_context,
            [](auto message, const auto& key, const auto& each) { return read_latency_handover(message, key, each); },
            [](auto out, auto records, const auto& key) { return write_latency_handover(out, records, key); });
    }
    return 0;
}
