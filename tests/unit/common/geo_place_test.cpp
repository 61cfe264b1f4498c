// How operators write the places a POP serves (pops[].geo): continents by name, ISO 3166-1
// countries, ISO 3166-2 subdivisions; anything else gets a message that says how to write it.
#include <gtest/gtest.h>

#include "common/geo/place.hpp"

namespace udn::geo {
namespace {

Place parsed(std::string_view text) {
    const auto result = parse_place(text);
    EXPECT_TRUE(std::holds_alternative<Place>(result)) << text << ": " << std::get<std::string>(result);
    return std::holds_alternative<Place>(result) ? std::get<Place>(result) : Place{};
}

std::string problem(std::string_view text) {
    const auto result = parse_place(text);
    EXPECT_TRUE(std::holds_alternative<std::string>(result)) << text << " was accepted";
    return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : std::string{};
}

TEST(GeoPlace, ContinentsCountriesAndSubdivisions) {
    EXPECT_EQ(parsed("Europe").level, PlaceLevel::continent);
    EXPECT_EQ(parsed("Europe").code, "EU");
    EXPECT_EQ(parsed("North America").code, "NA");
    EXPECT_EQ(parsed("DE").level, PlaceLevel::country);
    EXPECT_EQ(parsed("DE").code, "DE");
    // Codes that are also continent codes are countries: Afghanistan, Namibia.
    EXPECT_EQ(parsed("AF").level, PlaceLevel::country);
    EXPECT_EQ(parsed("NA").level, PlaceLevel::country);
    EXPECT_EQ(parsed("US-CA").level, PlaceLevel::subdivision);
    EXPECT_EQ(parsed("US-CA").code, "US-CA");
    EXPECT_EQ(parsed("GB-ENG").code, "GB-ENG");
    EXPECT_EQ(continent_name("OC"), "Oceania");
    EXPECT_EQ(continent_name("XX"), "");
}

TEST(GeoPlace, MistakesSayHowToWriteIt) {
    EXPECT_NE(problem("de").find("write \"DE\""), std::string::npos);
    EXPECT_NE(problem("us-ca").find("write \"US-CA\""), std::string::npos);
    EXPECT_NE(problem("EU").find("write \"Europe\""), std::string::npos);
    EXPECT_NE(problem("Germany").find("ISO 3166-1 code"), std::string::npos);
    EXPECT_NE(problem("XX").find("neither a continent"), std::string::npos);
    EXPECT_NE(problem("US-").find("ISO 3166-2"), std::string::npos);
    EXPECT_NE(problem("US-CALI").find("ISO 3166-2"), std::string::npos);
    EXPECT_NE(problem("").find("neither"), std::string::npos);
    EXPECT_NE(problem("europe").find("write \"Europe\""), std::string::npos);
    EXPECT_NE(problem("NORTH AMERICA").find("write \"North America\""), std::string::npos);
    EXPECT_NE(problem("Eurasia").find("neither"), std::string::npos);
}

}  // namespace
}  // namespace udn::geo
