// Fuzzes the envelope of queries forwarded between DNS servers (ports.dns_cluster): every input
// is either rejected or parses into an envelope whose message lies inside the datagram, and
// writing the parsed header back reproduces the input's header bytes; a persistence handover's
// records read back and written again give the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
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
    // The fuzzer cannot forge the MAC; it checks that a forged one is refused and, with the
    // input's records sealed under the key, that they read back and write again identically.
    static const auto key = *udn::report::Key::from_hex(std::string(64, 'a'));
    std::vector<udn::dns::gslb::PersistenceTable::Held> records;
    const auto collect = [&](const auto& held) { records.push_back(held); };
    if (read_handover(envelope->message, key, collect) && !key.verify(envelope->message.first(envelope->message.size() - 32), envelope->message.last(32)))
        std::abort();
    records.clear();
    const auto body = envelope->message.first(envelope->message.size() - envelope->message.size() % handover_record_bytes);
    if (body.size() / handover_record_bytes > max_handover_records) return 0;
    std::vector<std::uint8_t> sealed(max_envelope_header_bytes + body.size() + udn::report::mac_bytes);
    std::memcpy(sealed.data() + written, body.data(), body.size());
    const auto mac = key.mac(body);
    std::memcpy(sealed.data() + written + body.size(), mac.data(), mac.size());
    const auto sealed_message = std::span<const std::uint8_t>(sealed).subspan(written, body.size() + mac.size());
    if (read_handover(sealed_message, key, collect) != !body.empty()) std::abort();
    if (records.empty()) return 0;
    std::vector<std::uint8_t> again(sealed.size() + max_envelope_header_bytes);
    const auto again_size = write_handover(again, records, key);
    const auto again_header = again_size - body.size() - mac.size();
    if (again_size == 0 || std::memcmp(again.data() + again_header, sealed_message.data(), sealed_message.size()) != 0)
        std::abort();
    return 0;
}
