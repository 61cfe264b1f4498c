// The little DNS the probe speaks: build a one-question query, and read a response's ID,
// rcode and A/AAAA answers. Responses are hostile network input: bounds-checked, errors as
// nullopt (fuzz/probe_dns_answer_fuzz.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/net/ip_address.hpp"

namespace udn::probe::service {

inline constexpr std::uint16_t dns_type_a = 1;
inline constexpr std::uint16_t dns_type_ns = 2;
inline constexpr std::uint16_t dns_type_aaaa = 28;

// nullopt when the name is not a valid presentation-format name (label > 63, total > 253).
std::optional<std::vector<std::uint8_t>> build_dns_query(std::uint16_t id, std::string_view name, std::uint16_t type);

struct DnsResponse {
    std::uint16_t id = 0;
    std::uint8_t rcode = 0;
    std::vector<udn::net::IpAddress> addresses;  // A and AAAA records of the answer section
};

// nullopt unless `data` is a well-formed response (QR set) up to the end of the answers.
std::optional<DnsResponse> parse_dns_response(std::span<const std::uint8_t> data);

}  // namespace udn::probe::service
