// A place a POP serves, as operators write it in `pops[].geo`: a continent by name ("Europe"),
// a country by its ISO 3166-1 code ("DE") or a subdivision by its ISO 3166-2 code ("US-CA").
// Parsed here once for the configuration schema and for the DNS GeoIP fallback (src/dns/geo/).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace udn::geo {

// Least to most specific: a subdivision match beats a country match beats a continent match.
enum class PlaceLevel : std::uint8_t { continent, country, subdivision };

struct Place {
    PlaceLevel level = PlaceLevel::continent;
    // As GeoIP databases spell it: the continent code ("EU"), the country code ("DE"), or the
    // country and subdivision codes joined by '-' ("US-CA").
    std::string code;
};

// A Place, or "what is wrong\nhow to fix it".
std::variant<Place, std::string> parse_place(std::string_view text);

// "Europe" for "EU"; empty for an unknown code.
std::string_view continent_name(std::string_view code);

}  // namespace udn::geo
