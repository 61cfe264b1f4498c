// Decodes a whole DNS message (any section, names in NS/CNAME/MX/SOA data decompressed) into
// an owning value. Used by tests, tools and the fuzz target to check what the server wrote;
// the query hot path uses query.hpp instead.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns/wire/name.hpp"

namespace udn::dns::wire {

struct ResourceRecord {
    Name owner;
    std::uint16_t type = 0;
    std::uint16_t rr_class = 0;
    std::uint32_t ttl_s = 0;
    std::vector<std::uint8_t> rdata;  // as on the wire (names inside may be compressed)
    std::vector<Name> names;          // decompressed names found in the data of known types
};

struct Message {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::vector<Name> question_names;
    std::vector<std::uint16_t> question_types;
    std::vector<ResourceRecord> answer, authority, additional;

    std::uint8_t rcode() const { return flags & 0x0F; }
    bool has_flag(std::uint16_t mask) const { return (flags & mask) != 0; }
};

// Nullopt (with `error` set) when the message is malformed anywhere.
std::optional<Message> parse_message(std::span<const std::uint8_t> bytes, std::string* error = nullptr);

}  // namespace udn::dns::wire
