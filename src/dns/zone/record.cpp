#include "dns/zone/record.hpp"

#include <charconv>

#include "common/net/ip_address.hpp"
#include "dns/wire/types.hpp"

namespace udn::dns::zone {
namespace {

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    append_u16(out, static_cast<std::uint16_t>(value >> 16));
    append_u16(out, static_cast<std::uint16_t>(value));
}

// TXT: one or more "quoted strings" (with \" and \\ escapes), or the whole value as one
// string; each character-string is at most 255 bytes, longer text is split.
bool encode_txt(std::string_view value, std::vector<std::uint8_t>& out, std::string& error) {
    std::vector<std::string> strings;
    std::size_t at = 0;
    while (at < value.size() && value[at] == ' ') ++at;
    if (at < value.size() && value[at] == '"') {
        while (at < value.size()) {
            if (value[at] == ' ') { ++at; continue; }
            if (value[at] != '"') { error = "text outside quotes"; return false; }
            std::string text;
            ++at;
            while (at < value.size() && value[at] != '"') {
                if (value[at] == '\\' && at + 1 < value.size()) ++at;
                text += value[at++];
            }
            if (at >= value.size()) { error = "unterminated quote"; return false; }
            ++at;
            strings.push_back(std::move(text));
        }
    } else {
        strings.emplace_back(value);
    }
    for (const auto& text : strings) {
        std::size_t offset = 0;
        do {
            const auto chunk = std::min<std::size_t>(255, text.size() - offset);
            out.push_back(static_cast<std::uint8_t>(chunk));
            out.insert(out.end(), text.begin() + static_cast<long>(offset),
                       text.begin() + static_cast<long>(offset + chunk));
            offset += chunk;
        } while (offset < text.size());
    }
    if (out.size() > 65535) { error = "text longer than 65535 bytes"; return false; }
    return true;
}

}  // namespace

std::optional<std::uint16_t> type_from_text(std::string_view text) {
    if (text == "A") return wire::rr_type::a;
    if (text == "AAAA") return wire::rr_type::aaaa;
    if (text == "TXT") return wire::rr_type::txt;
    if (text == "CNAME") return wire::rr_type::cname;
    if (text == "MX") return wire::rr_type::mx;
    if (text == "NS") return wire::rr_type::ns;
    if (text == "SOA") return wire::rr_type::soa;
    return std::nullopt;
}

StoredRecord make_address_record(const net::IpAddress& address, std::uint32_t ttl_s) {
    StoredRecord record;
    record.type = address.is_v4() ? wire::rr_type::a : wire::rr_type::aaaa;
    record.ttl_s = ttl_s;
    record.prefix.assign(address.bytes().begin(), address.bytes().begin() + static_cast<long>(address.size_bytes()));
    return record;
}

StoredRecord make_name_record(std::uint16_t type, const wire::Name& target, std::uint32_t ttl_s) {
    StoredRecord record;
    record.type = type;
    record.ttl_s = ttl_s;
    record.first_name = target;
    record.name_count = 1;
    return record;
}

StoredRecord make_soa_record(const wire::Name& primary, const wire::Name& mailbox, std::uint32_t serial,
                             std::uint32_t negative_ttl_s, std::uint32_t ttl_s) {
    StoredRecord record;
    record.type = wire::rr_type::soa;
    record.ttl_s = ttl_s;
    record.first_name = primary;
    record.second_name = mailbox;
    record.name_count = 2;
    for (const std::uint32_t value : {serial, 3600u, 600u, 604800u, negative_ttl_s}) {
        append_u32(record.suffix, value);
    }
    return record;
}

std::optional<StoredRecord> parse_record_value(std::uint16_t type, std::string_view value,
                                               std::uint32_t ttl_s, std::string& error) {
    switch (type) {
        case wire::rr_type::a:
        case wire::rr_type::aaaa: {
            const auto address = net::IpAddress::parse(value);
            if (!address || address->is_v4() != (type == wire::rr_type::a)) {
                error = type == wire::rr_type::a ? "expected an IPv4 address such as 192.0.2.1"
                                                 : "expected an IPv6 address such as 2001:db8::1";
                return std::nullopt;
            }
            return make_address_record(*address, ttl_s);
        }
        case wire::rr_type::cname:
        case wire::rr_type::ns: {
            const auto target = wire::Name::from_text(value);
            if (!target || target->is_root()) {
                error = "expected a domain name such as host.example.com";
                return std::nullopt;
            }
            return make_name_record(type, *target, ttl_s);
        }
        case wire::rr_type::mx: {
            const auto space = value.find(' ');
            unsigned preference = 0;
            const auto* end = value.data() + (space == std::string_view::npos ? value.size() : space);
            const auto parsed = std::from_chars(value.data(), end, preference);
            const auto exchange = space == std::string_view::npos
                                      ? std::nullopt
                                      : wire::Name::from_text(value.substr(space + 1));
            if (parsed.ec != std::errc{} || parsed.ptr != end || preference > 65535 || !exchange) {
                error = "expected \"PREFERENCE EXCHANGE\" such as \"10 mail.example.com\"";
                return std::nullopt;
            }
            auto record = make_name_record(type, *exchange, ttl_s);
            append_u16(record.prefix, static_cast<std::uint16_t>(preference));
            return record;
        }
        case wire::rr_type::txt: {
            StoredRecord record;
            record.type = type;
            record.ttl_s = ttl_s;
            if (!encode_txt(value, record.prefix, error)) return std::nullopt;
            return record;
        }
        default:
            error = "unsupported record type (use A, AAAA, TXT, CNAME, MX or NS)";
            return std::nullopt;
    }
}

}  // namespace udn::dns::zone
