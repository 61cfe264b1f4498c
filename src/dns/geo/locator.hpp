// The GeoIP fallback of GSLB decisions: the operator's MaxMind database (network.geoip_database)
// plus the places each POP serves (pops[].geo). locate() tells which POPs are nearest to a client
// by the most specific place that matches (subdivision, then country, then continent). Built
// once per configuration snapshot and shared read-only by every worker.
#pragma once
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/loader.hpp"
#include "common/geo/place.hpp"
#include "dns/geo/database.hpp"

namespace udn::dns::geo {

// One place as written in pops[].geo, with every POP that lists it.
struct PlaceEntry {
    udn::geo::Place place;
    std::string text;               // as written, e.g. "DE" or "Europe"
    std::vector<std::string> pops;  // POP names, in configuration order
};

struct GeoMatch {
    Location location;
    const PlaceEntry* entry = nullptr;  // the most specific matching place; null: none matches

    bool serves(std::string_view pop) const;
    // "DE → POP eu-west", or why nothing was decided, for explanations.
    std::string describe() const;
};

class Locator {
public:
    // Null when the configuration names no database. Null with a message per mistake in
    // `errors` when the database cannot be opened.
    static std::shared_ptr<const Locator> build(const config::Config& config, std::vector<std::string>& errors);

    GeoMatch locate(const net::IpAddress& address) const;
    // True when the file at the configured path is no longer the one opened (replaced or
    // rewritten), so that a reload reopens it even if the configuration did not change.
    bool file_changed() const;
    const std::string& path() const { return path_; }
    const Database& database() const { return *database_; }

private:
    std::string path_;
    struct stat opened_{};
    std::unique_ptr<Database> database_;
    std::vector<PlaceEntry> entries_;
};

// What `udn check` adds: the database must open (file, line, what, fix).
std::vector<config::Diagnostic> check_database(const config::Config& config);

}  // namespace udn::dns::geo
