// Parses an incoming DNS query (header, the one question, EDNS0 OPT with Client Subnet) into a
// fixed-size value without allocating. The result says how the server must react: answer,
// FORMERR, NOTIMP, REFUSED or drop silently (RFC 1035, 6891, 7871).
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "dns/wire/name.hpp"

namespace udn::dns::wire {

struct ClientSubnet {
    bool present = false;
    std::uint16_t family = 0;  // 1 = IPv4, 2 = IPv6 (IANA address family numbers)
    std::uint8_t source_prefix_length = 0;
    std::uint8_t scope_prefix_length = 0;    // set in responses: how far the answer applies
    std::array<std::uint8_t, 16> address{};  // bits beyond the source prefix are zero
};

struct Edns {
    bool present = false;
    std::uint8_t version = 0;
    std::uint16_t udp_size_bytes = 0;
    bool dnssec_ok = false;
    ClientSubnet client_subnet;
};

struct Query {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint8_t opcode = 0;
    bool has_question = false;  // the question parsed, so an error response can echo it
    Name qname;                 // case preserved, as received
    Name qname_lowered;         // the same, lower-cased: the key the zones are looked up by
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    Edns edns;

    // As a new Query, without copying one: `= Query{}` copied the name's whole 255-byte buffer
    // on every query (~48 instructions). Keep it in step with the fields above.
    void reset() {
        id = 0;
        flags = 0;
        opcode = 0;
        has_question = false;
        qname.assign(Name{});
        qname_lowered.assign(Name{});
        qtype = 0;
        qclass = 0;
        edns = Edns{};
    }
};

enum class QueryStatus : std::uint8_t {
    ok,
    drop,     // too short to answer or not a query (QR set): never respond
    formerr,  // malformed
    notimp,   // opcode other than QUERY
    badvers,  // EDNS version other than 0
};

QueryStatus parse_query(std::span<const std::uint8_t> message, Query& out);

}  // namespace udn::dns::wire
