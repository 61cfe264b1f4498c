// Datagram latency methods (DNS query, ICMP echo) over one shared socket per address family, so
// that the open sockets do not grow with the clients in flight: every probe carries a token (a
// DNS ID, an ICMP sequence) unique among the probes in flight to its client, and a reply counts
// only if its source address and port and its token match a probe still in flight. A protocol
// says what goes on the wire; datagram_method.cpp does the sockets, the matching and the timing.
#pragma once
#include <memory>
#include <optional>
#include <span>

#include "probe/latency/method.hpp"
#include "probe/net/socket.hpp"

namespace udn::probe::latency {

class DatagramProtocol {
public:
    virtual ~DatagramProtocol() = default;
    virtual report::LatencyMethod id() const = 0;
    // The clients' port probed; 0 when the protocol has none (ICMP).
    virtual std::uint16_t port() const = 0;
    // A non-blocking socket of this family, or an invalid Fd when none may be opened here.
    virtual net::Fd open_socket(udn::net::IpAddress::Family family) = 0;
    // A new token, random where a guessed one would let a spoofed reply count.
    virtual std::uint16_t next_token() = 0;
    // Writes the probe carrying `token` into `out`; returns its size (0: none could be written).
    virtual std::size_t write_probe(std::uint16_t token, udn::net::IpAddress::Family family,
                                    std::span<std::uint8_t> out) = 0;
    // The token a received datagram answers; nullopt when it is no reply of this protocol.
    virtual std::optional<std::uint16_t> read_reply(std::span<const std::uint8_t> reply,
                                                    udn::net::IpAddress::Family family) const = 0;
    // The token of one of our own probes returned by the kernel with an ICMP error (a socket
    // with IP_RECVERR); nullopt when the protocol does not use the error queue.
    virtual std::optional<std::uint16_t> read_returned_probe(std::span<const std::uint8_t> probe) const = 0;
};

std::unique_ptr<Method> make_datagram_method(net::Reactor& reactor, std::unique_ptr<DatagramProtocol> protocol);

}  // namespace udn::probe::latency
