// Measures the memory of the GSLB latency state (gslb::LatencyTable) holding 1M client
// prefixes, and the cost of recording and looking them up. Prints one line per POP count.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "dns/gslb/latency_table.hpp"

namespace {

std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages_total = 0;
    std::size_t pages_resident = 0;
    statm >> pages_total >> pages_resident;
    return pages_resident * 4096;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t prefixes = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
    for (const std::size_t pops : {3u, 8u, 16u}) {
        const auto before = resident_bytes();
        udn::dns::gslb::LatencyTable table(pops, prefixes * 8 / 5);
        auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < prefixes; ++i) {
            const auto address = udn::net::IpAddress::v4({static_cast<std::uint8_t>(1 + (i >> 16)), static_cast<std::uint8_t>(i >> 8),
                                                          static_cast<std::uint8_t>(i), 0});
            const auto key = udn::dns::gslb::client_prefix_key(address);
            for (std::size_t p = 0; p < pops; ++p) table.record(key, p, static_cast<std::uint32_t>((i + p) % 300), 1000);
        }
        const double fill_s = seconds_since(start);
        std::vector<std::uint32_t> latency(pops), at(pops);
        std::size_t found = 0;
        start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < prefixes; ++i) {
            const auto address = udn::net::IpAddress::v4({static_cast<std::uint8_t>(1 + (i >> 16)), static_cast<std::uint8_t>(i >> 8),
                                                          static_cast<std::uint8_t>(i), 0});
            found += table.lookup(udn::dns::gslb::client_prefix_key(address), latency.data(), at.data());
        }
        const double lookup_s = seconds_since(start);
        const auto after = resident_bytes();
        std::printf("pops=%zu prefixes=%zu held=%zu table_bytes=%.1fMB rss_growth=%.1fMB record=%.0fns/prefix lookup=%.0fns\n",
                    pops, prefixes, found, table.memory_bytes() / 1e6, (after - before) / 1e6,
                    fill_s * 1e9 / static_cast<double>(prefixes * pops), lookup_s * 1e9 / static_cast<double>(prefixes));
    }
    return 0;
}
