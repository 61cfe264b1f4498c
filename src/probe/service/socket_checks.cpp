// The checks that need no library: TCP connect, DNS query with an expected answer, and FTP
// (220 greeting, QUIT). Each measures its phases against one deadline of check.timeout_ms.
#include <algorithm>
#include <random>

#include "probe/net/socket.hpp"
#include "probe/service/checks.hpp"
#include "probe/service/dns_message.hpp"

namespace udn::probe::service {
namespace {

using net::Clock;

std::uint32_t micros_since(Clock::time_point start) {
    return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

Clock::time_point deadline_of(const Target& target) {
    return Clock::now() + std::chrono::milliseconds(target.check.timeout_ms);
}

Outcome connect_failure(const net::ConnectResult& connected, Clock::time_point start) {
    Outcome outcome;
    outcome.result = connected.timed_out ? report::CheckResult::timeout : report::CheckResult::connect_failed;
    outcome.detail = "connect: " + connected.error;
    outcome.timing.total_us = micros_since(start);
    return outcome;
}

std::uint16_t random_id() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint16_t>(generator());
}

}  // namespace

Outcome tcp_check(const Target& target) {
    const auto start = Clock::now();
    auto connected = net::tcp_connect(target.endpoint, deadline_of(target));
    if (!connected.fd.valid()) return connect_failure(connected, start);
    Outcome outcome;
    outcome.result = report::CheckResult::ok;
    outcome.timing.connect_us = outcome.timing.total_us = micros_since(start);
    outcome.detail = "connected";
    return outcome;
}

Outcome ftp_check(const Target& target) {
    const auto start = Clock::now();
    const auto deadline = deadline_of(target);
    auto connected = net::tcp_connect(target.endpoint, deadline);
    if (!connected.fd.valid()) return connect_failure(connected, start);
    Outcome outcome;
    outcome.timing.connect_us = micros_since(start);
    std::string greeting;
    // A reply is complete at "ddd " + CRLF; multi-line replies ("220-...") end with "220 ".
    const auto complete = [](const std::string& text) {
        const auto end = text.find("\r\n");
        if (end == std::string::npos) return false;
        if (text.size() >= 4 && text[3] == '-') return text.find("\r\n" + text.substr(0, 3) + " ") != std::string::npos;
        return true;
    };
    if (!net::read_until(connected.fd.get(), greeting, deadline, complete, 8192)) {
        outcome.result = net::remaining_ms(deadline) == 0 ? report::CheckResult::timeout : report::CheckResult::protocol_error;
        outcome.detail = "no complete FTP greeting";
        outcome.timing.total_us = micros_since(start);
        return outcome;
    }
    outcome.timing.first_byte_us = micros_since(start);
    const bool is_220 = greeting.rfind("220", 0) == 0;
    outcome.code = static_cast<std::uint16_t>(std::atoi(greeting.substr(0, 3).c_str()));
    net::write_all(connected.fd.get(), "QUIT\r\n", deadline);
    std::string goodbye;
    net::read_until(connected.fd.get(), goodbye, deadline, complete, 8192);
    outcome.timing.total_us = micros_since(start);
    outcome.result = is_220 ? report::CheckResult::ok : report::CheckResult::bad_status;
    outcome.detail = is_220 ? "220 greeting" : "greeting " + greeting.substr(0, 3) + ", expected 220";
    return outcome;
}

Outcome dns_check(const Target& target) {
    const auto start = Clock::now();
    const auto deadline = deadline_of(target);
    Outcome outcome;
    const auto expected = udn::net::IpAddress::parse(target.check.expect_address);
    const auto type = expected && !expected->is_v4() ? dns_type_aaaa : dns_type_a;
    const auto id = random_id();
    const auto query = build_dns_query(id, target.check.query_name, type);
    if (!query) {
        outcome.detail = "invalid query_name";
        return outcome;
    }
    auto socket = net::UdpSocket::open(target.endpoint.address.family());
    if (!socket.send_to(target.endpoint, *query)) {
        outcome.result = report::CheckResult::connect_failed;
        outcome.detail = "send failed";
        return outcome;
    }
    std::array<std::uint8_t, 4096> buffer{};
    while (net::remaining_ms(deadline) > 0) {
        auto datagram = socket.receive(buffer, std::chrono::milliseconds(net::remaining_ms(deadline)));
        if (!datagram) break;
        if (datagram->from != target.endpoint) continue;
        auto response = parse_dns_response(std::span(buffer.data(), datagram->size_bytes));
        if (!response || response->id != id) continue;
        outcome.timing.first_byte_us = outcome.timing.total_us = micros_since(start);
        outcome.code = response->rcode;
        if (response->rcode != 0) {
            outcome.result = report::CheckResult::bad_status;
            outcome.detail = "rcode " + std::to_string(response->rcode);
        } else if (expected && std::find(response->addresses.begin(), response->addresses.end(), *expected) ==
                                   response->addresses.end()) {
            outcome.result = report::CheckResult::wrong_answer;
            outcome.detail = "answer lacks " + expected->to_string();
        } else {
            outcome.result = report::CheckResult::ok;
            outcome.detail = std::to_string(response->addresses.size()) + " addresses";
        }
        return outcome;
    }
    outcome.result = report::CheckResult::timeout;
    outcome.detail = "no DNS response";
    outcome.timing.total_us = micros_since(start);
    return outcome;
}

}  // namespace udn::probe::service
