#include "dns/wire/builder.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace udn::dns::wire {
namespace {

// Big-endian stores of whole words: writing byte by byte through the buffer's pointer made the
// compiler reload size_ and the buffer after each byte (a uint8_t store may alias any member),
// ~7 instructions per 16-bit field; a record at the question's name has six of them.
void store_u16(std::uint8_t* at, std::uint16_t value) {
    if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap16(value);
    std::memcpy(at, &value, sizeof value);
}

void store_u32(std::uint8_t* at, std::uint32_t value) {
    if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap32(value);
    std::memcpy(at, &value, sizeof value);
}

std::uint8_t ascii_lower(std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

std::size_t client_subnet_option_size(const ClientSubnet& subnet) {
    return subnet.present ? 4u + 4u + (subnet.source_prefix_length + 7u) / 8u : 0u;
}

}  // namespace

ResponseBuilder::ResponseBuilder(std::span<std::uint8_t> buffer, std::size_t limit_bytes)
    : buffer_(buffer), limit_(std::min(limit_bytes, buffer.size())) {}

void ResponseBuilder::put_u16(std::size_t at, std::uint16_t value) {
    store_u16(&buffer_[at], value);
}

void ResponseBuilder::append_u16(std::uint16_t value) {
    store_u16(&buffer_[size_], value);
    size_ += 2;
}

void ResponseBuilder::append_u32(std::uint32_t value) {
    store_u32(&buffer_[size_], value);
    size_ += 4;
}

void ResponseBuilder::append_bytes(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) std::memcpy(&buffer_[size_], bytes.data(), bytes.size());
    size_ += bytes.size();
}

void ResponseBuilder::start(const Query& query) {
    size_ = header_size_bytes;
    counts_ = {};
    compression_count_ = 0;
    question_entries_ = 0;
    question_size_bytes_ = 0;
    question_ = &query.qname;
    flags_ = static_cast<std::uint16_t>(flag::qr | (query.flags & (0x7800 | flag::rd | flag::cd)));
    put_u16(0, query.id);
    if (query.has_question && fits(query.qname.size_bytes() + 4)) {
        // The question's labels become compression targets only when a name is written the
        // general way (write_name): most answers are records at the question's name, which
        // point to offset 12 without any search. The root has no label to point to.
        if (!query.qname.is_root()) question_size_bytes_ = query.qname.size_bytes();
        std::uint8_t* const out = &buffer_[size_];
        const auto name = query.qname.wire();
        std::memcpy(out, name.data(), name.size());
        store_u16(out + name.size(), query.qtype);
        store_u16(out + name.size() + 2, query.qclass);
        size_ += name.size() + 4;
        put_u16(4, 1);
    } else {
        put_u16(4, 0);
    }
}

void ResponseBuilder::set_rcode(std::uint16_t extended_rcode) { extended_rcode_ = extended_rcode; }

void ResponseBuilder::reserve_opt(const Edns& response_edns) {
    if (opt_reserved_) return;
    const std::size_t bytes = 11 + client_subnet_option_size(response_edns.client_subnet);
    opt_ = response_edns;
    opt_reserved_ = true;
    limit_ = limit_ >= bytes ? limit_ - bytes : 0;
}

// Compares the name stored at `offset` in our own output (possibly ending in pointers we wrote)
// with `suffix`, an uncompressed wire name, case-insensitively.
bool ResponseBuilder::matches_at(std::size_t offset, std::span<const std::uint8_t> suffix) const {
    // Most often the name is the question's, written byte for byte at `offset`: equal bytes up
    // to and including the terminating zero are the same name (labels delimit themselves).
    if (offset + suffix.size() <= size_ && std::memcmp(&buffer_[offset], suffix.data(), suffix.size()) == 0) {
        return true;
    }
    std::size_t at = offset;
    std::size_t i = 0;
    for (int hops = 0; hops < 64;) {
        const std::uint8_t length = buffer_[at];
        if ((length & 0xC0) == 0xC0) {
            at = ((length & 0x3Fu) << 8) | buffer_[at + 1];
            ++hops;
            continue;
        }
        if (i >= suffix.size() || suffix[i] != length) return false;
        if (length == 0) return true;
        for (std::size_t k = 1; k <= length; ++k) {
            if (ascii_lower(buffer_[at + k]) != ascii_lower(suffix[i + k])) return false;
        }
        at += length + 1;
        i += length + 1;
    }
    return false;
}

void ResponseBuilder::index_question() {
    // The question's name is the first thing after the header, so its labels are the first
    // entries (a rollback to a mark from before this keeps them: see rollback()).
    compression_count_ = 0;
    for (std::size_t at = header_size_bytes; buffer_[at] != 0 && compression_count_ < max_compression_entries;
         at += buffer_[at] + 1) {
        compression_targets_[compression_count_++] = {
            static_cast<std::uint16_t>(at),
            static_cast<std::uint8_t>(question_size_bytes_ - (at - header_size_bytes))};
    }
    question_entries_ = compression_count_;
}

bool ResponseBuilder::write_name(const Name& name) {
    if (question_size_bytes_ != 0 && question_entries_ == 0) index_question();
    const auto wire = name.wire();
    // Find the longest suffix already in the message.
    std::size_t label_at = 0;
    std::size_t pointer_to = 0;
    while (wire[label_at] != 0) {
        const auto suffix = wire.subspan(label_at);
        for (std::size_t e = 0; e < compression_count_ && pointer_to == 0; ++e) {
            const auto& target = compression_targets_[e];
            if (target.name_bytes == suffix.size() && matches_at(target.offset, suffix)) pointer_to = target.offset;
        }
        if (pointer_to != 0) break;
        label_at += wire[label_at] + 1;
    }
    const std::size_t bytes = pointer_to != 0 ? label_at + 2 : wire.size();
    if (!fits(bytes)) return false;
    // Remember where each newly written label starts (only offsets a pointer can reach).
    for (std::size_t at = 0; at < label_at; at += wire[at] + 1) {
        if (compression_count_ < max_compression_entries && size_ + at < 0x3FFF) {
            compression_targets_[compression_count_++] = {static_cast<std::uint16_t>(size_ + at),
                                                           static_cast<std::uint8_t>(wire.size() - at)};
        }
    }
    if (pointer_to != 0) {
        append_bytes(wire.first(label_at));
        append_u16(static_cast<std::uint16_t>(0xC000 | pointer_to));
    } else {
        append_bytes(wire);
    }
    return true;
}

// Most answers are owned by the question's name, written as is at offset 12, with data
// holding no name (A, AAAA, TXT): then the record is a pointer to the question and fixed bytes,
// exactly what the general path below writes for it, without its search for a suffix.
bool ResponseBuilder::add_record_at_question(Section section, std::uint16_t type, std::uint32_t ttl_s,
                                             const RdataParts& rdata) {
    const std::size_t rdlength = rdata.prefix.size() + rdata.suffix.size();
    if (!fits(12 + rdlength)) return false;
    std::uint8_t* out = &buffer_[size_];
    store_u16(out, 0xC000 | header_size_bytes);
    store_u16(out + 2, type);
    store_u16(out + 4, class_in);
    store_u32(out + 6, ttl_s);
    store_u16(out + 10, static_cast<std::uint16_t>(rdlength));
    out += 12;
    if (!rdata.prefix.empty()) std::memcpy(out, rdata.prefix.data(), rdata.prefix.size());
    out += rdata.prefix.size();
    if (!rdata.suffix.empty()) std::memcpy(out, rdata.suffix.data(), rdata.suffix.size());
    size_ += 12 + rdlength;
    ++counts_[static_cast<int>(section)];
    return true;
}

bool ResponseBuilder::is_question(const Name& owner) const {
    if (&owner == question_) return true;  // the query's own Name, the usual owner: no byte compare
    return owner.size_bytes() == question_size_bytes_ &&
           std::memcmp(owner.wire().data(), &buffer_[header_size_bytes], question_size_bytes_) == 0;
}

bool ResponseBuilder::add_record(Section section, const Name& owner, std::uint16_t type,
                                 std::uint32_t ttl_s, const RdataParts& rdata) {
    if (question_size_bytes_ != 0 && rdata.first_name == nullptr && rdata.second_name == nullptr &&
        is_question(owner)) {
        return add_record_at_question(section, type, ttl_s, rdata);
    }
    const auto before = mark();
    if (!write_name(owner) || !fits(10 + rdata.prefix.size())) {
        rollback(before);
        return false;
    }
    append_u16(type);
    append_u16(class_in);
    append_u32(ttl_s);
    const std::size_t rdlength_at = size_;
    append_u16(0);
    append_bytes(rdata.prefix);
    if ((rdata.first_name != nullptr && !write_name(*rdata.first_name)) ||
        (rdata.second_name != nullptr && !write_name(*rdata.second_name)) ||
        !fits(rdata.suffix.size())) {
        rollback(before);
        return false;
    }
    append_bytes(rdata.suffix);
    put_u16(rdlength_at, static_cast<std::uint16_t>(size_ - rdlength_at - 2));
    ++counts_[static_cast<int>(section)];
    return true;
}

void ResponseBuilder::rollback(const Mark& mark) {
    size_ = mark.size_bytes;
    counts_ = mark.counts;
    // A mark taken before the question was indexed holds none of its entries; they stay.
    compression_count_ = std::max(mark.compression_entries, question_entries_);
}

std::size_t ResponseBuilder::finish() {
    put_u16(2, static_cast<std::uint16_t>(flags_ | (extended_rcode_ & 0x0F)));
    put_u16(6, counts_[0]);
    put_u16(8, counts_[1]);
    std::uint16_t additional = counts_[2];
    if (opt_reserved_) {
        // The reserved bytes lie just past limit_, so this never overruns the buffer.
        buffer_[size_++] = 0;  // root owner
        append_u16(rr_type::opt);
        append_u16(opt_.udp_size_bytes);
        const std::uint32_t ttl = (std::uint32_t{static_cast<std::uint8_t>(extended_rcode_ >> 4)} << 24) |
                                  (opt_.dnssec_ok ? edns_do_bit : 0u);
        append_u32(ttl);
        const auto& subnet = opt_.client_subnet;
        const std::size_t option_bytes = client_subnet_option_size(subnet);
        append_u16(static_cast<std::uint16_t>(option_bytes));
        if (subnet.present) {
            const std::size_t address_bytes = (subnet.source_prefix_length + 7u) / 8u;
            append_u16(edns_option_client_subnet);
            append_u16(static_cast<std::uint16_t>(4 + address_bytes));
            append_u16(subnet.family);
            buffer_[size_++] = subnet.source_prefix_length;
            buffer_[size_++] = subnet.scope_prefix_length;
            append_bytes({subnet.address.data(), address_bytes});
        }
        ++additional;
    }
    put_u16(10, additional);
    return size_;
}

}  // namespace udn::dns::wire
