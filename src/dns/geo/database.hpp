// A MaxMind DB (.mmdb, GeoIP2/GeoLite2 Country or City layout) opened read-only and memory-
// mapped: where an address is, as continent, country and subdivision codes. Lookups are
// thread-safe and allocate nothing, so every DNS worker shares one Database.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "common/net/ip_address.hpp"

namespace udn::dns::geo {

struct Location {
    bool found = false;  // the database has an entry for the address
    // The database network holding the address (whether or not it has an entry), in the
    // address's own family: every address of that network gets the same Location.
    unsigned prefix_length = 0;
    std::array<char, 3> continent{};    // "EU"; empty when the entry has none
    std::array<char, 3> country{};      // "DE" (the registered country when no country is known)
    std::array<char, 8> subdivision{};  // "US-CA": country and the first subdivision's code

    std::string_view continent_code() const { return continent.data(); }
    std::string_view country_code() const { return country.data(); }
    std::string_view subdivision_code() const { return subdivision.data(); }
    // "EU/DE/DE-BY", for explanations; "-" for a part the database does not know.
    std::string to_string() const;
};

class Database {
public:
    // Null with "what\nhow to fix it" in `error` when the file is missing or not a MaxMind DB.
    static std::unique_ptr<Database> open(const std::string& path, std::string& error);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Location lookup(const net::IpAddress& address) const;
    // "GeoLite2-Country built 2026-11-01", for logs.
    std::string description() const;

private:
    struct Impl;
    explicit Database(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace udn::dns::geo
