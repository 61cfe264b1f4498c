#include "common/net/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace udn::net {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
    IpAddress address;
    address.family_ = Family::v4;
    std::memcpy(address.bytes_.data(), bytes.data(), 4);
    return address;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> bytes) {
    IpAddress address;
    address.family_ = Family::v6;
    address.bytes_ = bytes;
    return address;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN + 1] = {};
    std::memcpy(buffer, text.data(), text.size());
    std::array<std::uint8_t, 16> bytes{};
    if (inet_pton(AF_INET, buffer, bytes.data()) == 1) {
        return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    }
    if (inet_pton(AF_INET6, buffer, bytes.data()) == 1) return v6(bytes);
    return std::nullopt;
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, address, sizeof in);
        std::array<std::uint8_t, 4> bytes{};
        std::memcpy(bytes.data(), &in.sin_addr, 4);
        return v4(bytes);
    }
    if (address->sa_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, address, sizeof in6);
        std::array<std::uint8_t, 16> bytes{};
        std::memcpy(bytes.data(), &in6.sin6_addr, 16);
        return v6(bytes);
    }
    return std::nullopt;
}

std::string IpAddress::to_string() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
    return buffer;
}

unsigned IpAddress::to_sockaddr(std::uint16_t port, sockaddr_storage& out) const {
    std::memset(&out, 0, sizeof out);
    if (is_v4()) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(port);
        std::memcpy(&in.sin_addr, bytes_.data(), 4);
        std::memcpy(&out, &in, sizeof in);
        return sizeof in;
    }
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, bytes_.data(), 16);
    std::memcpy(&out, &in6, sizeof in6);
    return sizeof in6;
}

Cidr::Cidr(IpAddress network, unsigned prefix_length) : prefix_length_(prefix_length) {
    auto bytes = network.bytes();
    const unsigned total_bits = static_cast<unsigned>(network.size_bytes()) * 8;
    if (prefix_length_ > total_bits) prefix_length_ = total_bits;
    for (unsigned bit = prefix_length_; bit < total_bits; ++bit) {
        bytes[bit / 8] = static_cast<std::uint8_t>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    }
    network_ = network.is_v4() ? IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]})
                               : IpAddress::v6(bytes);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const unsigned max_bits = static_cast<unsigned>(address->size_bytes()) * 8;
    if (slash == std::string_view::npos) return Cidr(*address, max_bits);
    const auto digits = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() || prefix > max_bits) {
        return std::nullopt;
    }
    return Cidr(*address, prefix);
}

bool Cidr::contains(const IpAddress& address) const {
    if (address.family() != network_.family()) return false;
    return Cidr(address, prefix_length_).network_ == network_;
}

std::string Cidr::to_string() const { return network_.to_string() + "/" + std::to_string(prefix_length_); }

std::string Endpoint::to_string() const {
    return address.is_v4() ? address.to_string() + ":" + std::to_string(port)
                           : "[" + address.to_string() + "]:" + std::to_string(port);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    auto address = IpAddress::parse(host);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!address || error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return std::nullopt;
    }
    return Endpoint{*address, static_cast<std::uint16_t>(port)};
}

}  // namespace udn::net
