// DNS protocol constants (RFC 1035, 3596, 6891, 7871, 8482) used by the codec and the server.
#pragma once
#include <cstdint>
#include <string_view>

namespace udn::dns::wire {

inline constexpr std::size_t header_size_bytes = 12;
inline constexpr std::size_t max_name_size_bytes = 255;
inline constexpr std::size_t max_label_size_bytes = 63;
inline constexpr std::size_t max_udp_size_bytes = 65535;
inline constexpr std::size_t min_udp_size_bytes = 512;  // RFC 1035 and RFC 6891 floor

namespace rr_type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ns = 2;
inline constexpr std::uint16_t cname = 5;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t mx = 15;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t opt = 41;
inline constexpr std::uint16_t ixfr = 251;
inline constexpr std::uint16_t axfr = 252;
inline constexpr std::uint16_t any = 255;

// The mnemonic of a type as the IANA registry and dig spell it ("" for a type without one, which
// RFC 3597 writes as TYPE<n>). All the types that resolvers ask for in numbers (HTTPS, SVCB,
// PTR, SRV, CAA, DNSSEC's) have one, so a query log reads like a zone file.
struct Mnemonic {
    std::uint16_t type;
    std::string_view text;
};
inline constexpr Mnemonic mnemonics[] = {
    {1, "A"},           {2, "NS"},      {5, "CNAME"},   {6, "SOA"},       {12, "PTR"},
    {13, "HINFO"},      {15, "MX"},     {16, "TXT"},    {17, "RP"},       {18, "AFSDB"},
    {24, "SIG"},        {25, "KEY"},    {28, "AAAA"},   {29, "LOC"},      {33, "SRV"},
    {35, "NAPTR"},      {36, "KX"},     {37, "CERT"},   {39, "DNAME"},    {41, "OPT"},
    {42, "APL"},        {43, "DS"},     {44, "SSHFP"},  {45, "IPSECKEY"}, {46, "RRSIG"},
    {47, "NSEC"},       {48, "DNSKEY"}, {49, "DHCID"},  {50, "NSEC3"},    {51, "NSEC3PARAM"},
    {52, "TLSA"},       {53, "SMIMEA"}, {55, "HIP"},    {59, "CDS"},      {60, "CDNSKEY"},
    {61, "OPENPGPKEY"}, {62, "CSYNC"},  {63, "ZONEMD"}, {64, "SVCB"},     {65, "HTTPS"},
    {99, "SPF"},        {108, "EUI48"}, {109, "EUI64"}, {249, "TKEY"},    {250, "TSIG"},
    {251, "IXFR"},      {252, "AXFR"},  {255, "ANY"},   {256, "URI"},     {257, "CAA"}};

constexpr std::string_view mnemonic(std::uint16_t type) {
    for (const auto& entry : mnemonics)
        if (entry.type == type) return entry.text;
    return {};
}
}  // namespace rr_type

inline constexpr std::uint16_t class_in = 1;
inline constexpr std::uint16_t class_any = 255;

namespace rcode {
inline constexpr std::uint8_t noerror = 0;
inline constexpr std::uint8_t formerr = 1;
inline constexpr std::uint8_t servfail = 2;
inline constexpr std::uint8_t nxdomain = 3;
inline constexpr std::uint8_t notimp = 4;
inline constexpr std::uint8_t refused = 5;
inline constexpr std::uint16_t badvers = 16;  // extended: upper 8 bits live in the OPT TTL

// The mnemonic of an rcode, as metrics labels and the query log spell it ("OTHER" for the rest).
constexpr std::string_view name(std::uint16_t value) {
    switch (value) {
        case noerror: return "NOERROR";
        case formerr: return "FORMERR";
        case servfail: return "SERVFAIL";
        case nxdomain: return "NXDOMAIN";
        case notimp: return "NOTIMP";
        case refused: return "REFUSED";
        case badvers: return "BADVERS";
        default: return "OTHER";
    }
}
}  // namespace rcode

namespace flag {
inline constexpr std::uint16_t qr = 0x8000;
inline constexpr std::uint16_t aa = 0x0400;
inline constexpr std::uint16_t tc = 0x0200;
inline constexpr std::uint16_t rd = 0x0100;
inline constexpr std::uint16_t ra = 0x0080;
inline constexpr std::uint16_t ad = 0x0020;
inline constexpr std::uint16_t cd = 0x0010;
}  // namespace flag

inline constexpr std::uint8_t opcode_query = 0;
inline constexpr std::uint16_t edns_option_client_subnet = 8;
inline constexpr std::uint16_t edns_do_bit = 0x8000;

}  // namespace udn::dns::wire
