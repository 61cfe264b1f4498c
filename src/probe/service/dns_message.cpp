#include "probe/service/dns_message.hpp"

#include <array>
#include <cstring>

#include "common/report/wire.hpp"

namespace udn::probe::service {
namespace {

using report::wire::Reader;

// Skips an encoded name: labels up to a zero byte or a compression pointer.
bool skip_name(Reader& in) {
    for (int labels = 0; labels < 128; ++labels) {
        const auto length = in.u8();
        if (!length) return false;
        if (*length == 0) return true;
        if ((*length & 0xC0) == 0xC0) return in.u8().has_value();
        if (*length > 63 || !in.bytes(*length)) return false;
    }
    return false;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> build_dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.size() > 253) return std::nullopt;
    std::vector<std::uint8_t> query;
    report::wire::Writer out(query);
    out.u16(id);
    out.u16(0x0100);  // RD: a resolver asked directly answers or refers; both prove it is alive
    out.u16(1);
    out.u16(0);
    out.u16(0);
    out.u16(0);
    while (!name.empty()) {
        const auto dot = name.find('.');
        const auto label = name.substr(0, dot);
        if (label.empty() || label.size() > 63) return std::nullopt;
        out.str8(label);
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    out.u8(0);
    out.u16(type);
    out.u16(1);  // IN
    return query;
}

std::optional<DnsResponse> parse_dns_response(std::span<const std::uint8_t> data) {
    Reader in(data);
    const auto id = in.u16();
    const auto flags = in.u16();
    const auto questions = in.u16();
    const auto answers = in.u16();
    if (!in.u16() || !in.u16() || !answers) return std::nullopt;
    if ((*flags & 0x8000) == 0) return std::nullopt;
    DnsResponse response;
    response.id = *id;
    response.rcode = static_cast<std::uint8_t>(*flags & 0x0F);
    for (unsigned i = 0; i < *questions; ++i) {
        if (!skip_name(in) || !in.bytes(4)) return std::nullopt;
    }
    for (unsigned i = 0; i < *answers; ++i) {
        if (!skip_name(in)) return std::nullopt;
        const auto type = in.u16();
        const auto klass = in.u16();
        const auto ttl = in.u32();
        const auto length = in.u16();
        if (!type || !klass || !ttl || !length) return std::nullopt;
        const auto rdata = in.bytes(*length);
        if (!rdata) return std::nullopt;
        if (*type == dns_type_a && *length == 4) {
            std::array<std::uint8_t, 4> bytes{};
            std::memcpy(bytes.data(), rdata->data(), 4);
            response.addresses.push_back(udn::net::IpAddress::v4(bytes));
        } else if (*type == dns_type_aaaa && *length == 16) {
            std::array<std::uint8_t, 16> bytes{};
            std::memcpy(bytes.data(), rdata->data(), 16);
            response.addresses.push_back(udn::net::IpAddress::v6(bytes));
        }
    }
    return response;
}

}  // namespace udn::probe::service
