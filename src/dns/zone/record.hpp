// One resource record of our zones, pre-encoded at load time so that answering only copies
// bytes: record data is kept as fixed bytes around up to two names that the response builder
// may compress.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip_address.hpp"
#include "dns/wire/builder.hpp"
#include "dns/wire/name.hpp"

namespace udn::dns::zone {

struct StoredRecord {
    std::uint16_t type = 0;
    std::uint32_t ttl_s = 0;
    std::vector<std::uint8_t> prefix;
    std::vector<std::uint8_t> suffix;
    wire::Name first_name;
    wire::Name second_name;
    std::uint8_t name_count = 0;

    wire::RdataParts parts() const {
        return {prefix, name_count > 0 ? &first_name : nullptr, name_count > 1 ? &second_name : nullptr,
                suffix};
    }
};

// A type a zone may configure ("A", "AAAA", "TXT", "CNAME", "MX", "NS", "SOA") to its number;
// nullopt for the others (their text is wire::rr_type::mnemonic).
std::optional<std::uint16_t> type_from_text(std::string_view text);

// Parses a record's value in presentation format. On failure returns nullopt and sets `error`
// to a message that says what was expected.
std::optional<StoredRecord> parse_record_value(std::uint16_t type, std::string_view value,
                                               std::uint32_t ttl_s, std::string& error);

StoredRecord make_address_record(const net::IpAddress& address, std::uint32_t ttl_s);
StoredRecord make_name_record(std::uint16_t type, const wire::Name& target, std::uint32_t ttl_s);
StoredRecord make_soa_record(const wire::Name& primary, const wire::Name& mailbox, std::uint32_t serial,
                             std::uint32_t negative_ttl_s, std::uint32_t ttl_s);

}  // namespace udn::dns::zone
