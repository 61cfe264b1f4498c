#include "dns/wire/message.hpp"

#include "dns/wire/reader.hpp"

namespace udn::dns::wire {
namespace {

bool fail(std::string* error, const char* what) {
    if (error != nullptr) *error = what;
    return false;
}

// Names inside record data of the types RFC 1035 allows to be compressed.
bool decode_rdata_names(std::span<const std::uint8_t> bytes, std::size_t start, std::size_t end,
                        ResourceRecord& record, std::string* error) {
    std::size_t offset = start;
    int names = 0;
    std::size_t fixed_after = 0;
    switch (record.type) {
        case rr_type::ns:
        case rr_type::cname: names = 1; break;
        case rr_type::mx: names = 1; offset += 2; break;
        case rr_type::soa: names = 2; fixed_after = 20; break;
        default: return true;
    }
    const auto scope = bytes.first(end);
    for (int i = 0; i < names; ++i) {
        Name name;
        if (read_name(scope, offset, name) != NameStatus::ok) return fail(error, "bad name in rdata");
        record.names.push_back(name);
    }
    if (offset + fixed_after != end) return fail(error, "rdata length mismatch");
    return true;
}

bool parse_record(std::span<const std::uint8_t> bytes, Reader& reader, ResourceRecord& record,
                  std::string* error) {
    if (read_name(bytes, reader.offset_ref(), record.owner) != NameStatus::ok) {
        return fail(error, "bad owner name");
    }
    std::uint16_t rdlength = 0;
    if (!reader.u16(record.type) || !reader.u16(record.rr_class) || !reader.u32(record.ttl_s) ||
        !reader.u16(rdlength)) {
        return fail(error, "truncated record header");
    }
    const std::size_t start = reader.offset();
    std::span<const std::uint8_t> rdata;
    if (!reader.bytes(rdlength, rdata)) return fail(error, "truncated rdata");
    record.rdata.assign(rdata.begin(), rdata.end());
    return decode_rdata_names(bytes, start, start + rdlength, record, error);
}

}  // namespace

std::optional<Message> parse_message(std::span<const std::uint8_t> bytes, std::string* error) {
    Message message;
    Reader reader(bytes);
    std::uint16_t counts[4] = {};
    if (!reader.u16(message.id) || !reader.u16(message.flags) || !reader.u16(counts[0]) ||
        !reader.u16(counts[1]) || !reader.u16(counts[2]) || !reader.u16(counts[3])) {
        fail(error, "truncated header");
        return std::nullopt;
    }
    for (std::uint16_t i = 0; i < counts[0]; ++i) {
        Name name;
        std::uint16_t type = 0;
        std::uint16_t qclass = 0;
        if (read_name(bytes, reader.offset_ref(), name) != NameStatus::ok || !reader.u16(type) ||
            !reader.u16(qclass)) {
            fail(error, "bad question");
            return std::nullopt;
        }
        message.question_names.push_back(name);
        message.question_types.push_back(type);
    }
    std::vector<ResourceRecord>* sections[3] = {&message.answer, &message.authority, &message.additional};
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0; i < counts[s + 1]; ++i) {
            ResourceRecord record;
            if (!parse_record(bytes, reader, record, error)) return std::nullopt;
            sections[s]->push_back(std::move(record));
        }
    }
    return message;
}

}  // namespace udn::dns::wire
