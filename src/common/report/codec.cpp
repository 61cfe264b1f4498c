#include "common/report/codec.hpp"

#include <array>

#include "common/report/wire.hpp"

namespace udn::report {
namespace {

constexpr std::array<std::uint8_t, 4> magic{'U', 'D', 'N', 'R'};
// magic, version, type, sender length, sequence, timestamp
constexpr std::size_t fixed_prefix_bytes = 4 + 1 + 1 + 1 + 8 + 8;
constexpr std::uint8_t family_v4 = 4;
constexpr std::uint8_t family_v6 = 6;

// Reads with a sticky error: after the first failure every read returns zero values and the
// first error is kept, so a body parser is straight-line code checked once at the end.
class Decoder {
public:
    explicit Decoder(std::span<const std::uint8_t> data) : reader_(data) {}
    std::uint8_t u8() { return take(reader_.u8()); }
    std::uint16_t u16() { return take(reader_.u16()); }
    std::uint32_t u32() { return take(reader_.u32()); }
    std::uint64_t u64() { return take(reader_.u64()); }
    std::string str8() { return take(reader_.str8()); }
    bool flag() {
        const auto value = u8();
        if (value > 1) fail(Error::bad_value);
        return value == 1;
    }
    template <class Enum>
    Enum enumeration(std::uint8_t low, std::uint8_t high) {
        const auto value = u8();
        if (value < low || value > high) fail(Error::bad_value);
        return static_cast<Enum>(value);
    }
    net::IpAddress address() {
        const auto family = u8();
        if (family == family_v4) {
            std::array<std::uint8_t, 4> bytes{};
            copy(bytes);
            return net::IpAddress::v4(bytes);
        }
        if (family != family_v6) fail(Error::bad_value);
        std::array<std::uint8_t, 16> bytes{};
        copy(bytes);
        return net::IpAddress::v6(bytes);
    }
    std::uint16_t permille() {
        const auto value = u16();
        if (value > max_loss_permille) fail(Error::bad_value);
        return value;
    }
    std::size_t address_count() {
        const std::size_t count = u16();
        if (count > max_addresses_per_datagram) fail(Error::too_large);
        return failed() ? 0 : count;
    }
    void fail(Error error) {
        if (!error_) error_ = error;
    }
    bool failed() const { return error_.has_value(); }
    std::optional<Error> finish() {
        if (!error_ && reader_.remaining() != 0) error_ = Error::trailing_bytes;
        return error_;
    }

private:
    template <class T>
    T take(std::optional<T> value) {
        if (value && !error_) return std::move(*value);
        fail(Error::truncated);
        return T{};
    }
    template <std::size_t N>
    void copy(std::array<std::uint8_t, N>& out) {
        const auto view = reader_.bytes(N);
        if (!view) return fail(Error::truncated);
        std::memcpy(out.data(), view->data(), N);
    }
    wire::Reader reader_;
    std::optional<Error> error_;
};

void put_address(wire::Writer& out, const net::IpAddress& address) {
    out.u8(address.is_v4() ? family_v4 : family_v6);
    out.bytes(std::span(address.bytes().data(), address.size_bytes()));
}

void put_load(wire::Writer& out, const LoadSample& load) {
    out.u16(load.cpu_permille);
    out.u16(load.memory_permille);
    out.u16(load.swap_permille);
    out.u16(load.disk_permille);
    out.u32(load.connections);
}

LoadSample get_load(Decoder& in) {
    LoadSample load;
    load.cpu_permille = in.u16();
    load.memory_permille = in.u16();
    load.swap_permille = in.u16();
    load.disk_permille = in.u16();
    load.connections = in.u32();
    return load;
}

bool fits(const std::string& text) { return text.size() <= max_name_bytes; }

struct BodyWriter {
    wire::Writer& out;
    std::uint8_t version;

    bool operator()(const ServiceReport& report) const {
        if (!fits(report.customer) || !fits(report.name) || !fits(report.detail)) return false;
        out.u8(static_cast<std::uint8_t>(report.target));
        out.str8(report.customer);
        out.str8(report.name);
        out.u8(static_cast<std::uint8_t>(report.check));
        out.u8(static_cast<std::uint8_t>(report.state));
        out.u8(static_cast<std::uint8_t>(report.result));
        out.u16(report.code);
        out.u32(report.timing.dns_us);
        out.u32(report.timing.connect_us);
        out.u32(report.timing.tls_us);
        out.u32(report.timing.first_byte_us);
        out.u32(report.timing.total_us);
        if (version >= 2) {
            if (report.loss_permille > max_loss_permille) return false;
            out.u16(report.loss_permille);
            out.u16(report.loss_checks);
        }
        out.u8(report.has_load ? 1 : 0);
        if (report.has_load) put_load(out, report.load);
        out.str8(report.detail);
        return true;
    }
    bool operator()(const LatencyRequest& request) const {
        if (request.clients.size() > max_addresses_per_datagram) return false;
        out.u16(static_cast<std::uint16_t>(request.clients.size()));
        for (const auto& client : request.clients) put_address(out, client);
        return true;
    }
    bool operator()(const LatencyResult& result) const {
        if (!fits(result.pop) || result.measurements.size() > max_addresses_per_datagram) return false;
        out.str8(result.pop);
        out.u16(static_cast<std::uint16_t>(result.measurements.size()));
        for (const auto& measurement : result.measurements) {
            put_address(out, measurement.client);
            out.u8(measurement.reachable ? 1 : 0);
            out.u8(static_cast<std::uint8_t>(measurement.method));
            out.u32(measurement.rtt_us);
            out.u64(measurement.measured_at_ms);
            if (version >= 2) {
                if (measurement.loss_permille > max_loss_permille) return false;
                out.u8(measurement.attempts);
                out.u16(measurement.loss_permille);
            }
        }
        return true;
    }
    bool operator()(const LoadQuery&) const { return true; }
    bool operator()(const LoadAnswer& answer) const {
        out.u64(answer.query_sequence);
        put_load(out, answer.load);
        return true;
    }
};

ServiceReport get_service_report(Decoder& in, std::uint8_t version) {
    ServiceReport report;
    report.target = in.enumeration<TargetKind>(1, 2);
    report.customer = in.str8();
    report.name = in.str8();
    report.check = in.enumeration<CheckKind>(1, 5);
    report.state = in.enumeration<ServiceState>(1, 2);
    report.result = in.enumeration<CheckResult>(0, 9);
    report.code = in.u16();
    report.timing.dns_us = in.u32();
    report.timing.connect_us = in.u32();
    report.timing.tls_us = in.u32();
    report.timing.first_byte_us = in.u32();
    report.timing.total_us = in.u32();
    if (version >= 2) {
        report.loss_permille = in.permille();
        report.loss_checks = in.u16();
    }
    report.has_load = in.flag();
    if (report.has_load) report.load = get_load(in);
    report.detail = in.str8();
    return report;
}

LatencyRequest get_latency_request(Decoder& in) {
    LatencyRequest request;
    const auto count = in.address_count();
    request.clients.reserve(count);
    for (std::size_t i = 0; i < count && !in.failed(); ++i) request.clients.push_back(in.address());
    return request;
}

LatencyResult get_latency_result(Decoder& in, std::uint8_t version) {
    LatencyResult result;
    result.pop = in.str8();
    const auto count = in.address_count();
    result.measurements.reserve(count);
    for (std::size_t i = 0; i < count && !in.failed(); ++i) {
        LatencyMeasurement measurement;
        measurement.client = in.address();
        measurement.reachable = in.flag();
        measurement.method = in.enumeration<LatencyMethod>(0, 3);
        measurement.rtt_us = in.u32();
        measurement.measured_at_ms = in.u64();
        if (version >= 2) {
            measurement.attempts = in.u8();
            measurement.loss_permille = in.permille();
        }
        result.measurements.push_back(measurement);
    }
    return result;
}

LoadAnswer get_load_answer(Decoder& in) {
    LoadAnswer answer;
    answer.query_sequence = in.u64();
    answer.load = get_load(in);
    return answer;
}

Body get_body(Decoder& in, MessageType type, std::uint8_t version) {
    switch (type) {
        case MessageType::service_report: return get_service_report(in, version);
        case MessageType::latency_request: return get_latency_request(in);
        case MessageType::latency_result: return get_latency_result(in, version);
        case MessageType::load_query: return LoadQuery{};
        case MessageType::load_answer: return get_load_answer(in);
    }
    in.fail(Error::unknown_type);
    return LoadQuery{};
}

}  // namespace

std::string_view to_string(Error error) {
    switch (error) {
        case Error::too_short: return "datagram too short";
        case Error::bad_magic: return "not a udn report datagram (bad magic)";
        case Error::bad_version: return "unsupported protocol version";
        case Error::bad_mac: return "bad MAC (forged, corrupted or another report_key)";
        case Error::unknown_type: return "unknown message type";
        case Error::truncated: return "truncated field";
        case Error::trailing_bytes: return "trailing bytes after the last field";
        case Error::bad_value: return "field value out of range";
        case Error::too_large: return "name, list or datagram exceeds the protocol limits";
        case Error::stale: return "stale (older than probe.report_max_age_ms)";
        case Error::from_future: return "timestamp too far in the future (clock skew?)";
        case Error::replayed: return "replayed (sequence already seen)";
        case Error::too_many_senders: return "sender table full";
    }
    return "unknown error";
}

// Body's alternatives are declared in MessageType order.
MessageType type_of(const Body& body) { return static_cast<MessageType>(body.index() + 1); }

MessageType Message::type() const { return type_of(body); }

Result<std::vector<std::uint8_t>> encode(const Message& message, const Key& key) {
    return encode(message.header, message.body, key);
}

// Only the bodies that version 2 changed are sent as version 2, so that receivers of version 1
// (load agents, latency probes not yet upgraded) keep understanding the rest.
std::uint8_t wire_version_of(MessageType type) {
    return type == MessageType::service_report || type == MessageType::latency_result ? newest_protocol_version
                                                                                      : oldest_protocol_version;
}

Result<std::vector<std::uint8_t>> encode(const Header& header, const Body& body, const Key& key) {
    return encode_as(wire_version_of(type_of(body)), header, body, key);
}

Result<std::vector<std::uint8_t>> encode_as(std::uint8_t version, const Header& header, const Body& body,
                                            const Key& key) {
    if (version < oldest_protocol_version || version > newest_protocol_version) return Error::bad_version;
    const auto& sender = header.sender;
    if (sender.empty() || !fits(sender)) return Error::too_large;
    std::vector<std::uint8_t> datagram;
    datagram.reserve(128);
    wire::Writer out(datagram);
    out.bytes(magic);
    out.u8(version);
    out.u8(static_cast<std::uint8_t>(type_of(body)));
    out.str8(sender);
    out.u64(header.sequence);
    out.u64(header.timestamp_ms);
    if (!std::visit(BodyWriter{out, version}, body)) return Error::too_large;
    const auto mac = key.mac(datagram);
    out.bytes(mac);
    if (datagram.size() > max_datagram_bytes) return Error::too_large;
    return datagram;
}

Result<Message> decode(std::span<const std::uint8_t> datagram, const Key& key) {
    if (datagram.size() < fixed_prefix_bytes + 1 + mac_bytes) return Error::too_short;
    if (!std::equal(magic.begin(), magic.end(), datagram.begin())) return Error::bad_magic;
    const std::uint8_t version = datagram[4];
    if (version < oldest_protocol_version || version > newest_protocol_version) return Error::bad_version;
    const auto signed_part = datagram.first(datagram.size() - mac_bytes);
    if (!key.verify(signed_part, datagram.last(mac_bytes))) return Error::bad_mac;

    Decoder in(signed_part.subspan(magic.size() + 1));
    const auto type = in.u8();
    if (type < 1 || type > 5) return Error::unknown_type;
    Message message;
    message.header.sender = in.str8();
    if (message.header.sender.empty()) in.fail(Error::bad_value);
    message.header.sequence = in.u64();
    message.header.timestamp_ms = in.u64();
    message.body = get_body(in, static_cast<MessageType>(type), version);
    if (const auto error = in.finish()) return *error;
    return message;
}

}  // namespace udn::report
