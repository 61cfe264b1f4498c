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
