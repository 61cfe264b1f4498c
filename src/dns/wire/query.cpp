#include "dns/wire/query.hpp"

#include <cstring>

#include "dns/wire/reader.hpp"

namespace udn::dns::wire {
namespace {

// RFC 7871 section 6: the address is exactly ceil(source/8) bytes and bits past the source
// prefix are zero; anything else is FORMERR.
bool parse_client_subnet(std::span<const std::uint8_t> option, ClientSubnet& out) {
    Reader reader(option);
    std::uint16_t family = 0;
    std::uint8_t source = 0;
    std::uint8_t scope = 0;
    if (!reader.u16(family) || !reader.u8(source) || !reader.u8(scope)) return false;
    const unsigned max_prefix = family == 1 ? 32 : family == 2 ? 128 : 0;
    if (max_prefix == 0 || source > max_prefix || scope != 0) return false;
    const std::size_t address_bytes = (source + 7u) / 8u;
    if (reader.remaining() != address_bytes) return false;
    std::span<const std::uint8_t> address;
    reader.bytes(address_bytes, address);
    if (address_bytes > 0 && source % 8 != 0) {
        const std::uint8_t host_mask = static_cast<std::uint8_t>(0xFFu >> (source % 8));
        if ((address.back() & host_mask) != 0) return false;
    }
    out.present = true;
    out.family = family;
    out.source_prefix_length = source;
    out.address = {};
    if (address_bytes > 0) std::memcpy(out.address.data(), address.data(), address_bytes);
    return true;
}

bool parse_opt_options(std::span<const std::uint8_t> rdata, Edns& edns) {
    Reader reader(rdata);
    while (reader.remaining() > 0) {
        std::uint16_t code = 0;
        std::uint16_t length = 0;
        std::span<const std::uint8_t> value;
        if (!reader.u16(code) || !reader.u16(length) || !reader.bytes(length, value)) return false;
        if (code == edns_option_client_subnet) {
            if (edns.client_subnet.present) return false;  // at most one (RFC 7871 7.1)
            if (!parse_client_subnet(value, edns.client_subnet)) return false;
        }
    }
    return true;
}

// Skips one resource record; when it is an OPT, records it in `edns`.
QueryStatus parse_additional(std::span<const std::uint8_t> message, Reader& reader, Query& out) {
    Name owner;
    if (read_name(message, reader.offset_ref(), owner) != NameStatus::ok)
        return QueryStatus::formerr;
    std::uint16_t type = 0;
    std::uint16_t rr_class = 0;
    std::uint32_t ttl = 0;
    std::uint16_t rdlength = 0;
    std::span<const std::uint8_t> rdata;
    if (!reader.u16(type) || !reader.u16(rr_class) || !reader.u32(ttl) || !reader.u16(rdlength) ||
        !reader.bytes(rdlength, rdata)) {
        return QueryStatus::formerr;
    }
    if (type != rr_type::opt) return QueryStatus::ok;
    if (out.edns.present || !owner.is_root()) return QueryStatus::formerr;  // RFC 6891 6.1.1
    out.edns.present = true;
    out.edns.udp_size_bytes = rr_class;
    out.edns.version = static_cast<std::uint8_t>((ttl >> 16) & 0xFF);
    out.edns.dnssec_ok = (ttl & edns_do_bit) != 0;
    if (!parse_opt_options(rdata, out.edns)) return QueryStatus::formerr;
    return QueryStatus::ok;
}

}  // namespace

QueryStatus parse_query(std::span<const std::uint8_t> message, Query& out) {
    out.reset();
    if (message.size() < header_size_bytes) return QueryStatus::drop;
    // The header at once, behind the one length check above (the Reader checks each field).
    const auto header_u16 = [&](std::size_t at) {
        return static_cast<std::uint16_t>((message[at] << 8) | message[at + 1]);
    };
    out.id = header_u16(0);
    out.flags = header_u16(2);
    const std::uint16_t counts[4] = {header_u16(4), header_u16(6), header_u16(8), header_u16(10)};
    Reader reader(message, header_size_bytes);
    if ((out.flags & flag::qr) != 0) return QueryStatus::drop;
    out.opcode = static_cast<std::uint8_t>((out.flags >> 11) & 0x0F);
    if (counts[0] != 1)
        return out.opcode != opcode_query ? QueryStatus::notimp : QueryStatus::formerr;
    if (read_name_and_lowered(message, reader.offset_ref(), out.qname, out.qname_lowered) !=
            NameStatus::ok ||
        !reader.u16(out.qtype) || !reader.u16(out.qclass)) {
        return QueryStatus::formerr;
    }
    out.has_question = true;
    if (out.opcode != opcode_query) return QueryStatus::notimp;
    if (counts[1] != 0 || counts[2] != 0) return QueryStatus::formerr;
    for (std::uint16_t i = 0; i < counts[3]; ++i) {
        const auto status = parse_additional(message, reader, out);
        if (status != QueryStatus::ok) return status;
    }
    if (out.edns.present && out.edns.version != 0) return QueryStatus::badvers;
    return QueryStatus::ok;
}

}  // namespace udn::dns::wire
