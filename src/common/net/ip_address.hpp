// IPv4/IPv6 address and CIDR prefix as small value types, shared by config, DNS, cache and probes.
#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;
struct sockaddr_storage;

namespace udn::net {

class IpAddress {
public:
    enum class Family : std::uint8_t { v4, v6 };

    IpAddress() = default;
    static IpAddress v4(std::array<std::uint8_t, 4> bytes);
    static IpAddress v6(std::array<std::uint8_t, 16> bytes);
    static std::optional<IpAddress> parse(std::string_view text);
    static std::optional<IpAddress> from_sockaddr(const sockaddr* address);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::v4; }
    // Bytes in network order; only the first size_bytes() are meaningful.
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    std::size_t size_bytes() const { return is_v4() ? 4 : 16; }
    std::string to_string() const;
    // Fills a sockaddr_in/sockaddr_in6; returns its length.
    unsigned to_sockaddr(std::uint16_t port, sockaddr_storage& out) const;

    auto operator<=>(const IpAddress&) const = default;

private:
    Family family_ = Family::v4;
    std::array<std::uint8_t, 16> bytes_{};
};

class Cidr {
public:
    Cidr() = default;
    Cidr(IpAddress network, unsigned prefix_length);  // host bits are cleared
    static std::optional<Cidr> parse(std::string_view text);

    const IpAddress& network() const { return network_; }
    unsigned prefix_length() const { return prefix_length_; }
    bool contains(const IpAddress& address) const;
    std::string to_string() const;

    auto operator<=>(const Cidr&) const = default;

private:
    IpAddress network_;
    unsigned prefix_length_ = 0;
};

// Sockets bind/connect "address:port"; IPv6 as "[::1]:53".
struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;
    std::string to_string() const;
    static std::optional<Endpoint> parse(std::string_view text);
    auto operator<=>(const Endpoint&) const = default;
};

}  // namespace udn::net
