// Measures what the GeoIP fallback costs a ranking: geo::Database::lookup (MaxMind search tree
// walk plus the continent, country and subdivision values) per client, over a database given
// on the command line (default: the unit tests' fixture). Prints ns per lookup.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "dns/geo/database.hpp"

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "tests/unit/dns/data/geo.mmdb";
    const long lookups = argc > 2 ? std::stol(argv[2]) : 2'000'000;
    std::string error;
    const auto database = udn::dns::geo::Database::open(path, error);
    if (!database) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    // Pass 1: clients spread over the whole IPv4 space. Pass 2: only addresses the database
    // places (the full tree walk plus three values), which is what a real database mostly does.
    std::vector<udn::net::IpAddress> placed;
    std::uint32_t state = 0x9E3779B9u;
    const auto measure = [&](auto&& address_of, const char* what) {
        long found = 0;
        const auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < lookups; ++i) {
            const auto address = address_of(i);
            const auto location = database->lookup(address);
            found += location.found;
            if (location.found && placed.size() < 4096) placed.push_back(address);
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%s (%s), %s: %.0f ns per lookup, %ld of %ld found\n", path.c_str(),
                    database->description().c_str(), what, seconds * 1e9 / static_cast<double>(lookups), found,
                    lookups);
    };
    measure([&](long) {
        state = state * 1664525u + 1013904223u;
        return udn::net::IpAddress::v4({static_cast<std::uint8_t>(state >> 24), static_cast<std::uint8_t>(state >> 16),
                                        static_cast<std::uint8_t>(state >> 8), static_cast<std::uint8_t>(state)});
    }, "random IPv4 addresses");
    if (placed.empty()) return 0;
    const auto found_only = placed;
    measure([&](long i) { return found_only[static_cast<std::size_t>(i) % found_only.size()]; },
            "addresses it places");
    return 0;
}
