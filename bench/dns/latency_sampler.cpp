// bench/dns/latency_sampler.cpp — latency percentiles of one DNS server under someone else's
// load: sends one query every 1/rate s (paced, not closed-loop, so a slow server cannot slow
// the sampling down) while dnsperf loads the server, and prints the p50/p90/p99/p99.9/max
// round-trip time of the sampled queries and how many got no answer within the timeout.
// dnsperf 2.10 prints only the average and maximum; this gives every server the same p99.
// Usage: latency_sampler HOST PORT QNAME RATE_QPS DURATION_S [TIMEOUT_MS]   (loopback only)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int usage() {
    std::fprintf(stderr, "usage: latency_sampler HOST PORT QNAME RATE_QPS DURATION_S [TIMEOUT_MS]\n"
                         "  HOST must be a 127.0.0.0/8 address; RATE_QPS 1..20000; DURATION_S 1..600\n");
    return 2;
}

// A plain A query with RD=0; the ID is patched per query.
std::vector<std::uint8_t> make_query(std::string_view qname) {
    std::vector<std::uint8_t> out = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    while (!qname.empty()) {
        const auto dot = qname.find('.');
        const auto label = qname.substr(0, dot);
        if (label.empty() || label.size() > 63) return {};
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        qname.remove_prefix(dot == std::string_view::npos ? qname.size() : dot + 1);
    }
    out.insert(out.end(), {0, 0, 1, 0, 1});  // root, type A, class IN
    return out;
}

double percentile(const std::vector<double>& sorted, double fraction) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6 || argc > 7) return usage();
    const std::string host = argv[1];
    const long port = std::strtol(argv[2], nullptr, 10);
    const auto query = make_query(argv[3]);
    const long rate = std::strtol(argv[4], nullptr, 10);
    const long duration_s = std::strtol(argv[5], nullptr, 10);
    const long timeout_ms = argc == 7 ? std::strtol(argv[6], nullptr, 10) : 1000;
    in_addr address{};
    if (host.rfind("127.", 0) != 0 || inet_pton(AF_INET, host.c_str(), &address) != 1) return usage();
    if (port < 1 || port > 65535 || query.empty() || rate < 1 || rate > 20000 || duration_s < 1 || duration_s > 600 ||
        timeout_ms < 1 || timeout_ms > 10000) {
        return usage();
    }

    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    server.sin_addr = address;
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
        std::perror("latency_sampler: socket");
        return 1;
    }

    // One slot per DNS ID; a sample is outstanding while its slot holds a send time.
    std::vector<Clock::time_point> sent_at(65536);
    std::vector<bool> outstanding(65536, false);
    std::vector<double> rtt_us;
    rtt_us.reserve(static_cast<std::size_t>(rate * duration_s));
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
    const auto start = Clock::now();
    const auto stop_sending = start + std::chrono::seconds(duration_s);
    const auto give_up = stop_sending + std::chrono::milliseconds(timeout_ms);
    auto next_send = start;
    std::uint64_t sent = 0, late = 0, send_errors = 0;
    std::uint16_t next_id = 1;
    auto packet = query;
    std::uint8_t answer[4096];

    while (true) {
        const auto now = Clock::now();
        if (now >= give_up) break;
        if (now >= next_send && now < stop_sending) {
            const std::uint16_t id = next_id++;
            if (outstanding[id]) ++late;  // 65536 queries ago and still unanswered: counted lost
            packet[0] = static_cast<std::uint8_t>(id >> 8);
            packet[1] = static_cast<std::uint8_t>(id);
            sent_at[id] = Clock::now();
            if (::send(fd, packet.data(), packet.size(), 0) == static_cast<ssize_t>(packet.size())) {
                outstanding[id] = true;
                ++sent;
            } else {
                ++send_errors;
            }
            next_send += interval;
            continue;
        }
        if (now >= stop_sending && sent == rtt_us.size() + late) break;  // everything answered
        // Sleep until the next send or an answer, to the nanosecond: a millisecond poll timeout
        // rounded the 0.5 ms gaps down to 0, so the sampler spun. Spinning at SCHED_FIFO (run.sh
        // runs it with chrt) made the kernel's RT throttling (95 % of each second) stop it for
        // 50 ms at a time: answers waited for the sampler, not the server — the ~50 ms max and
        // the tens-of-ms p99 every server showed under dnsperf (docs/dns-performance.md).
        const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
            (now < stop_sending ? next_send : give_up) - now);
        pollfd p{fd, POLLIN, 0};
        const timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000), static_cast<long>(wait.count() % 1'000'000'000)};
        if (::ppoll(&p, 1, &timeout, nullptr) <= 0) continue;
        while (true) {
            const ssize_t n = ::recv(fd, answer, sizeof answer, 0);
            if (n < 0) break;
            const auto received = Clock::now();
            if (n < 12) continue;
            const std::uint16_t id = static_cast<std::uint16_t>((answer[0] << 8) | answer[1]);
            if (!outstanding[id]) continue;
            outstanding[id] = false;
            const auto rtt = std::chrono::duration<double, std::micro>(received - sent_at[id]).count();
            if (rtt <= static_cast<double>(timeout_ms) * 1000) rtt_us.push_back(rtt);
        }
    }
    ::close(fd);
    std::sort(rtt_us.begin(), rtt_us.end());
    const auto lost = sent - rtt_us.size();
    std::printf("sent %llu answered %zu lost %llu send_errors %llu p50_us %.0f p90_us %.0f p99_us %.0f p999_us %.0f "
                "max_us %.0f\n",
                static_cast<unsigned long long>(sent), rtt_us.size(), static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(send_errors), percentile(rtt_us, 0.50), percentile(rtt_us, 0.90),
                percentile(rtt_us, 0.99), percentile(rtt_us, 0.999), rtt_us.empty() ? 0.0 : rtt_us.back());
    return 0;
}
