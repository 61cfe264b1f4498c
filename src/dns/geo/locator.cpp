#include "dns/geo/locator.hpp"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

namespace udn::dns::geo {
namespace {

using udn::geo::PlaceLevel;

std::vector<PlaceEntry> collect_places(const config::Config& config) {
    std::vector<PlaceEntry> entries;
    for (const auto& pop : config.pops) {
        for (const auto& text : pop.geo) {
            const auto parsed = udn::geo::parse_place(text);
            if (!std::holds_alternative<udn::geo::Place>(parsed)) continue;  // the loader reported it
            const auto& place = std::get<udn::geo::Place>(parsed);
            auto it = std::find_if(entries.begin(), entries.end(), [&](const PlaceEntry& entry) {
                return entry.place.level == place.level && entry.place.code == place.code;
            });
            if (it == entries.end()) it = entries.insert(entries.end(), PlaceEntry{place, text, {}});
            if (std::find(it->pops.begin(), it->pops.end(), pop.name) == it->pops.end()) it->pops.push_back(pop.name);
        }
    }
    return entries;
}

std::string_view code_at(const Location& location, PlaceLevel level) {
    switch (level) {
        case PlaceLevel::continent: return location.continent_code();
        case PlaceLevel::country: return location.country_code();
        case PlaceLevel::subdivision: return location.subdivision_code();
    }
    return {};
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

bool GeoMatch::serves(std::string_view pop) const {
    return entry != nullptr && std::find(entry->pops.begin(), entry->pops.end(), pop) != entry->pops.end();
}

std::string GeoMatch::describe() const {
    if (!location.found) return "geoip: the database does not know the client";
    if (entry == nullptr) return fmt::format("geoip: {} is in no pops[].geo", location.to_string());
    std::string pops;
    for (const auto& pop : entry->pops) pops += (pops.empty() ? "" : ", ") + pop;
    return fmt::format("geoip: {} → POP {} (client in {})", entry->text, pops, location.to_string());
}

std::shared_ptr<const Locator> Locator::build(const config::Config& config, std::vector<std::string>& errors) {
    if (!config.network.geoip_database) return nullptr;
    auto locator = std::make_shared<Locator>();
    locator->path_ = *config.network.geoip_database;
    // stat before opening: a file replaced in between then looks changed, and is reopened.
    if (::stat(locator->path_.c_str(), &locator->opened_) != 0) locator->opened_ = {};
    std::string error;
    locator->database_ = Database::open(locator->path_, error);
    if (!locator->database_) {
        const auto split = error.find('\n');
        errors.push_back(fmt::format("network.geoip_database (line {}): {} — {}", config.network.geoip_database_line,
                                     error.substr(0, split), error.substr(split + 1)));
        return nullptr;
    }
    locator->entries_ = collect_places(config);
    return locator;
}

GeoMatch Locator::locate(const net::IpAddress& address) const {
    GeoMatch match;
    match.location = database_->lookup(address);
    if (!match.location.found) return match;
    for (const auto& entry : entries_) {
        if (code_at(match.location, entry.place.level) != entry.place.code) continue;
        if (match.entry == nullptr || entry.place.level > match.entry->place.level) match.entry = &entry;
    }
    return match;
}

bool Locator::file_changed() const {
    struct stat now {};
    if (::stat(path_.c_str(), &now) != 0) return true;
    return !same_file(now, opened_);
}

std::vector<config::Diagnostic> check_database(const config::Config& config) {
    if (!config.network.geoip_database) return {};
    std::string error;
    if (Database::open(*config.network.geoip_database, error)) return {};
    const auto split = error.find('\n');
    return {config::Diagnostic{config.source_path, config.network.geoip_database_line,
                               "network.geoip_database: " + error.substr(0, split), error.substr(split + 1)}};
}

}  // namespace udn::dns::geo
