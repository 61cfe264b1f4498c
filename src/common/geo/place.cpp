#include "common/geo/place.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace udn::geo {
namespace {

// MaxMind's continent codes. The codes themselves are not accepted in the configuration:
// AF, AS, NA and SA are also countries (Afghanistan, American Samoa, Namibia, Saudi Arabia).
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> continents{{
    {"AF", "Africa"},
    {"AN", "Antarctica"},
    {"AS", "Asia"},
    {"EU", "Europe"},
    {"NA", "North America"},
    {"OC", "Oceania"},
    {"SA", "South America"},
}};

// ISO 3166-1 alpha-2, plus XK (Kosovo), which GeoIP databases use.
constexpr std::string_view countries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO "
    "FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE "
    "JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW "
    "PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM "
    "TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

bool is_country(std::string_view code) {
    if (code.size() != 2) return false;
    for (std::size_t at = 0; at + 2 <= countries.size(); at += 3) {
        if (countries.substr(at, 2) == code) return true;
    }
    return false;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

const char* const how_to_write =
    "write a continent by name (Africa, Antarctica, Asia, Europe, North America, Oceania, South America), a "
    "country by its ISO 3166-1 code (\"DE\") or a subdivision by its ISO 3166-2 code (\"US-CA\")";

}  // namespace

std::variant<Place, std::string> parse_place(std::string_view text) {
    for (const auto& [code, name] : continents) {
        if (text == name) return Place{PlaceLevel::continent, std::string{code}};
        if (upper(text) == upper(name)) return "is not spelled as a continent is\nwrite \"" + std::string{name} + "\"";
    }
    const auto dash = text.find('-');
    const auto country = text.substr(0, dash);
    if (!is_country(country)) {
        if (is_country(upper(country))) return "is not upper case\nwrite \"" + upper(text) + "\"";
        if (text == "EU") return "is not a country: Europe is a continent\nwrite \"Europe\"";
        return std::string{"is neither a continent nor an ISO 3166 country or subdivision code\n"} + how_to_write;
    }
    if (dash == std::string_view::npos) return Place{PlaceLevel::country, std::string{text}};
    const auto subdivision = text.substr(dash + 1);
    const bool well_formed = !subdivision.empty() && subdivision.size() <= 3 &&
                             std::all_of(subdivision.begin(), subdivision.end(), [](unsigned char c) {
                                 return std::isupper(c) || std::isdigit(c);
                             });
    if (!well_formed) {
        return "is not an ISO 3166-2 subdivision code\nwrite the country code, '-' and 1 to 3 upper-case letters or "
               "digits, e.g. \"US-CA\" or \"GB-ENG\"";
    }
    return Place{PlaceLevel::subdivision, std::string{text}};
}

std::string_view continent_name(std::string_view code) {
    for (const auto& [known, name] : continents) {
        if (known == code) return name;
    }
    return {};
}

}  // namespace udn::geo
