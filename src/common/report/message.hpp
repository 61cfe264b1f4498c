// The messages of udn's internal report protocol (probe reports, latency requests and
// results, load queries and answers) as plain values. docs/protocols.md is the wire format;
// codec.hpp turns these into authenticated datagrams and back.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/net/ip_address.hpp"

namespace udn::report {

enum class MessageType : std::uint8_t {
    service_report = 1,
    latency_request = 2,
    latency_result = 3,
    load_query = 4,
    load_answer = 5,
};

// Who sent a message and when; present in every message. `sender` is the sending server's
// config name (pops[].servers[].name) or, for a load agent outside the config, its bind address.
// `sequence` grows strictly per sender, across restarts too (signer.hpp); `timestamp_ms` is
// Unix time in milliseconds at measurement (reports) or at sending (requests, queries).
struct Header {
    std::string sender;
    std::uint64_t sequence = 0;
    std::uint64_t timestamp_ms = 0;
    bool operator==(const Header&) const = default;
};

// The load of one machine as the load agent measures it. Shares are in permille (0..1000) so
// they fit a small integer exactly; `disk_permille` is the fullest watched filesystem.
struct LoadSample {
    std::uint16_t cpu_permille = 0;
    std::uint16_t memory_permille = 0;
    std::uint16_t swap_permille = 0;
    std::uint16_t disk_permille = 0;
    std::uint32_t connections = 0;  // established TCP connections
    bool operator==(const LoadSample&) const = default;
};

// What a report is about: a customer's origin (customer + origin name) or one of the network's
// own servers, e.g. a POP cache (server name, customer empty).
enum class TargetKind : std::uint8_t { origin = 1, server = 2 };

// Wire values of the check types; kept apart from config::CheckType so that reordering the
// config enum can never change the protocol.
enum class CheckKind : std::uint8_t { http = 1, https = 2, tcp = 3, dns = 4, ftp = 5 };

enum class ServiceState : std::uint8_t { up = 1, down = 2 };

// The raw result of the one check this report carries (the state above is after fall/rise).
enum class CheckResult : std::uint8_t {
    ok = 0,
    timeout = 1,
    connect_failed = 2,
    tls_failed = 3,
    bad_status = 4,       // HTTP status / FTP reply code / DNS rcode not the expected one
    content_mismatch = 5, // HTTP body failed the substring, regex or sha256 check
    wrong_answer = 6,     // DNS answer lacks the expected address
    protocol_error = 7,   // the peer spoke something unexpected
    resolve_failed = 8,
    other_error = 9,
};

// Response time broken into phases, microseconds from the start of the check (like libcurl's
// *_TIME values): each is cumulative, so tls_us >= connect_us >= dns_us when present; 0 = not
// applicable (e.g. tls for plain HTTP).
struct Timing {
    std::uint32_t dns_us = 0;
    std::uint32_t connect_us = 0;
    std::uint32_t tls_us = 0;
    std::uint32_t first_byte_us = 0;
    std::uint32_t total_us = 0;
    bool operator==(const Timing&) const = default;
};

struct ServiceReport {
    TargetKind target = TargetKind::origin;
    std::string customer;  // empty for TargetKind::server
    std::string name;      // origin name (within its customer) or server name
    CheckKind check = CheckKind::http;
    ServiceState state = ServiceState::down;
    CheckResult result = CheckResult::other_error;
    std::uint16_t code = 0;  // HTTP status, FTP reply code or DNS rcode; 0 when none came back
    Timing timing;
    // Probe-to-server packet loss over the service's last `loss_checks` checks (a check that got
    // no answer at all within its timeout counts as lost); loss_checks = 0: not measured (a
    // version-1 sender). Permille, 0..1000. Version 2 and later.
    std::uint16_t loss_permille = 0;
    std::uint16_t loss_checks = 0;
    bool has_load = false;  // false when the target's load agent did not answer
    LoadSample load;
    std::string detail;  // short human-readable reason for logs, <= 255 bytes
    bool operator==(const ServiceReport&) const = default;
};

// DNS server -> a POP's latency probe: "measure these client resolvers".
struct LatencyRequest {
    std::vector<net::IpAddress> clients;
    bool operator==(const LatencyRequest&) const = default;
};

enum class LatencyMethod : std::uint8_t { none = 0, dns_query = 1, tcp_connect = 2, icmp_echo = 3 };

struct LatencyMeasurement {
    net::IpAddress client;
    bool reachable = false;
    LatencyMethod method = LatencyMethod::none;  // the method that produced rtt_us
    std::uint32_t rtt_us = 0;                    // 0 when unreachable
    std::uint64_t measured_at_ms = 0;            // Unix ms of this measurement
    // How many probes were sent (0: not measured, a version-1 sender) and the share of them
    // that got no answer, in permille (1000 when unreachable). Version 2 and later.
    std::uint8_t attempts = 0;
    std::uint16_t loss_permille = 0;
    bool operator==(const LatencyMeasurement&) const = default;
};

// Latency probe -> DNS server. The header's timestamp is the sending time; each measurement
// carries its own (results may come from the probe's table of recent measurements).
struct LatencyResult {
    std::string pop;  // the POP this latency is from
    std::vector<LatencyMeasurement> measurements;
    bool operator==(const LatencyResult&) const = default;
};

// Probe -> load agent. The header's sequence is the nonce echoed by the answer.
struct LoadQuery {
    bool operator==(const LoadQuery&) const = default;
};

struct LoadAnswer {
    std::uint64_t query_sequence = 0;  // the sequence of the LoadQuery answered
    LoadSample load;
    bool operator==(const LoadAnswer&) const = default;
};

// Alternatives in MessageType order (type_of relies on it).
using Body = std::variant<ServiceReport, LatencyRequest, LatencyResult, LoadQuery, LoadAnswer>;
MessageType type_of(const Body& body);

struct Message {
    Header header;
    Body body;
    MessageType type() const;
    bool operator==(const Message&) const = default;
};

// Wire versions: 2 added the loss fields of service reports and latency results; the other
// bodies are the same in both. Receivers accept both.
inline constexpr std::uint8_t oldest_protocol_version = 1;
inline constexpr std::uint8_t newest_protocol_version = 2;
inline constexpr std::uint16_t max_loss_permille = 1000;

// Limits enforced by both encode and decode.
inline constexpr std::size_t max_name_bytes = 255;
inline constexpr std::size_t max_addresses_per_datagram = 1024;
inline constexpr std::size_t max_datagram_bytes = 65507;

}  // namespace udn::report
