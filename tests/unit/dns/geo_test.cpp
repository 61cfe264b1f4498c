// The GeoIP fallback (issue 3): the MaxMind database wrapper, the places POPs serve, and the
// decision order while a client's latency is unknown — coverage zones, then GeoIP, then no
// preference — each straight through decide() and through a worker's RankingCache.
//
// data/geo.mmdb was written by tests/system/mmdb_writer.py:
//   python3 tests/system/mmdb_writer.py tests/unit/dns/data/geo.mmdb 198.51.100.0/24=EU/DE/BY
//     203.0.113.0/24=AS/JP 192.0.2.0/25=EU/FR 192.0.2.128/25=NA/US/CA 100.64.0.0/16=OC/AU
//     10.1.0.0/16=EU/DE 2001:db8::/32=EU/DE  (one command line)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "dns/geo/locator.hpp"
#include "dns/gslb/engine.hpp"
#include "dns/gslb/ranking_cache.hpp"
#include "test_config.hpp"

namespace udn::dns {
namespace {

using testing::ip;
constexpr std::int64_t now_ms = 10'000'000;
const std::string fixture = std::string(UDN_TESTDATA_DIR) + "/geo.mmdb";

// POP addresses of the test network's caches (test_config.hpp).
constexpr const char* eu_cache = "127.0.1.2";
constexpr const char* us_cache = "127.0.2.2";
constexpr const char* ap_cache = "127.0.3.2";

// Per process: test binaries of several worktrees may run at once.
std::filesystem::path scratch_file(std::string_view name) {
    return std::filesystem::temp_directory_path() / fmt::format("udn-geo-test-{}-{}.mmdb", ::getpid(), name);
}

std::unique_ptr<geo::Database> open_fixture() {
    std::string error;
    auto database = geo::Database::open(fixture, error);
    EXPECT_TRUE(database) << error;
    return database;
}

TEST(GeoDatabase, LooksUpContinentCountrySubdivisionAndNetwork) {
    const auto database = open_fixture();
    ASSERT_TRUE(database);
    const auto bavaria = database->lookup(ip("198.51.100.77"));
    EXPECT_TRUE(bavaria.found);
    EXPECT_EQ(bavaria.continent_code(), "EU");
    EXPECT_EQ(bavaria.country_code(), "DE");
    EXPECT_EQ(bavaria.subdivision_code(), "DE-BY");
    EXPECT_EQ(bavaria.prefix_length, 24u);
    EXPECT_EQ(bavaria.to_string(), "EU/DE/DE-BY");
    const auto japan = database->lookup(ip("203.0.113.1"));
    EXPECT_EQ(japan.country_code(), "JP");
    EXPECT_EQ(japan.subdivision_code(), "");
    EXPECT_EQ(japan.to_string(), "AS/JP");
    EXPECT_EQ(database->lookup(ip("192.0.2.1")).prefix_length, 25u);
    EXPECT_EQ(database->lookup(ip("192.0.2.200")).country_code(), "US");
    EXPECT_EQ(database->lookup(ip("2001:db8:1::5")).country_code(), "DE");
    EXPECT_EQ(database->lookup(ip("2001:db8:1::5")).prefix_length, 32u);
    const auto unknown = database->lookup(ip("198.18.0.1"));
    EXPECT_FALSE(unknown.found);
    EXPECT_EQ(unknown.country_code(), "");
    EXPECT_FALSE(database->lookup(ip("2001:db9::1")).found);
    EXPECT_NE(database->description().find("udn-test-Country built 2023-11-14"), std::string::npos);
}

TEST(GeoDatabase, MissingAndInvalidFilesAreErrorsWithAFix) {
    std::string error;
    EXPECT_FALSE(geo::Database::open("/nonexistent/geo.mmdb", error));
    EXPECT_NE(error.find("cannot read /nonexistent/geo.mmdb: No such file or directory\n"), std::string::npos) << error;
    const auto garbage = scratch_file("garbage");
    std::ofstream(garbage) << "this is not a MaxMind database\n";
    EXPECT_FALSE(geo::Database::open(garbage.string(), error));
    EXPECT_NE(error.find("is not a usable MaxMind DB"), std::string::npos) << error;
    std::filesystem::remove(garbage);
}

// The network of test_config.hpp with a GeoIP database and places for its POPs.
config::Config geo_config(std::string database = fixture) {
    auto config = testing::make_config();
    config.network.geoip_database = std::move(database);
    config.network.geoip_database_line = 12;
    config.source_path = "udn.toml";
    config.pops[0].geo = {"Europe"};               // eu
    config.pops[1].geo = {"North America", "FR"};  // us: France is more specific than Europe
    config.pops[2].geo = {"Asia", "Oceania", "DE-BY"};  // ap: Bavaria beats Europe
    return config;
}

TEST(GeoLocator, TheMostSpecificPlaceWins) {
    std::vector<std::string> errors;
    const auto config = geo_config();
    const auto locator = geo::Locator::build(config, errors);
    ASSERT_TRUE(locator) << errors.front();
    const auto pops_of = [&](std::string_view client) {
        const auto match = locator->locate(ip(client));
        return match.entry ? match.entry->pops : std::vector<std::string>{};
    };
    EXPECT_EQ(pops_of("10.1.0.1"), std::vector<std::string>{"eu"});       // EU/DE: continent
    EXPECT_EQ(pops_of("192.0.2.1"), std::vector<std::string>{"us"});      // EU/FR: country beats continent
    EXPECT_EQ(pops_of("198.51.100.1"), std::vector<std::string>{"ap"});   // EU/DE/DE-BY: subdivision
    EXPECT_EQ(pops_of("100.64.0.1"), std::vector<std::string>{"ap"});     // Oceania
    EXPECT_EQ(pops_of("198.18.0.1"), std::vector<std::string>{});         // not in the database
    EXPECT_EQ(locator->locate(ip("192.0.2.1")).describe(), "geoip: FR → POP us (client in EU/FR)");
    EXPECT_EQ(locator->locate(ip("198.18.0.1")).describe(), "geoip: the database does not know the client");
    auto shared = geo_config();
    shared.pops[1].geo = {"Europe"};  // two POPs may serve one place
    const auto both = geo::Locator::build(shared, errors);
    EXPECT_EQ(both->locate(ip("10.1.0.1")).entry->pops, (std::vector<std::string>{"eu", "us"}));
    EXPECT_EQ(both->locate(ip("10.1.0.1")).describe(), "geoip: Europe → POP eu, us (client in EU/DE)");
}

TEST(GeoLocator, NoDatabaseNoLocatorAndABadOneIsAnErrorWithItsLine) {
    std::vector<std::string> errors;
    EXPECT_FALSE(geo::Locator::build(testing::make_config(), errors));
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(geo::check_database(testing::make_config()).empty());
    const auto config = geo_config("/nonexistent/geo.mmdb");
    EXPECT_FALSE(geo::Locator::build(config, errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("network.geoip_database (line 12): cannot read"), std::string::npos) << errors[0];
    const auto problems = geo::check_database(config);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].file, "udn.toml");
    EXPECT_EQ(problems[0].line, 12);
    EXPECT_NE(problems[0].what.find("No such file"), std::string::npos);
    EXPECT_NE(problems[0].fix.find("remove network.geoip_database"), std::string::npos);
    EXPECT_TRUE(geo::check_database(geo_config()).empty());
}

TEST(GeoLocator, NoticesWhenTheFileIsReplaced) {
    const auto path = scratch_file("replaced");
    std::filesystem::copy_file(fixture, path, std::filesystem::copy_options::overwrite_existing);
    std::vector<std::string> errors;
    const auto locator = geo::Locator::build(geo_config(path.string()), errors);
    ASSERT_TRUE(locator);
    EXPECT_FALSE(locator->file_changed());
    const auto next = path.string() + ".next";
    std::filesystem::copy_file(fixture, next, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(next, path);  // how operators install a new database
    EXPECT_TRUE(locator->file_changed());
    std::filesystem::remove(path);
    EXPECT_TRUE(locator->file_changed());
}

class GeoDecisions : public ::testing::TestWithParam<bool> {
protected:
    GeoDecisions() : latency_(8, 1024) { use(geo_config()); }

    void use(config::Config config) {
        config_ = std::move(config);
        std::vector<std::string> errors;
        table_ = gslb::DomainTable::build(config_, errors);
        ASSERT_TRUE(table_) << errors.front();
        locator_ = geo::Locator::build(config_, errors);
        ++epoch_;
    }

    gslb::Decision decide(std::string_view client_text, unsigned prefix_length = 32, bool ecs = false,
                          gslb::Explanation* explanation = nullptr) {
        const auto index = static_cast<std::size_t>(table_->find("acme.cdn.example"));
        store_.publish();
        const gslb::EngineInputs inputs{&config_, store_.snapshot().get().get(), &latency_, nullptr, &queue_,
                                        now_ms, locator_.get()};
        const gslb::Client client{ip(client_text), prefix_length, ecs};
        const auto family = net::IpAddress::Family::v4;
        return GetParam() && explanation == nullptr
                 ? cache_.decide(table_->domain(index), index, family, client, inputs, random_, epoch_)
                 : gslb::decide(table_->domain(index), family, client, inputs, random_, explanation);
    }

    std::string first(std::string_view client) {
        const auto decision = decide(client);
        return decision.count > 0 ? decision.addresses[0]->to_string() : "";
    }

    std::vector<net::IpAddress> measurements() {
        std::vector<net::IpAddress> out;
        queue_.drain(out);
        return out;
    }

    config::Config config_;
    std::shared_ptr<const gslb::DomainTable> table_;
    std::shared_ptr<const geo::Locator> locator_;
    gslb::ObservationStore store_;
    gslb::LatencyTable latency_;
    gslb::MeasurementQueue queue_;
    gslb::RandomState random_;
    gslb::RankingCache cache_{64, 3};
    std::uint64_t epoch_ = 0;
};

TEST_P(GeoDecisions, ClientsInTwoCountriesGetTheirPopsAndAreStillMeasured) {
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(first("203.0.113." + std::to_string(i)), ap_cache);  // Japan: Asia
        EXPECT_EQ(first("192.0.2." + std::to_string(i)), us_cache);    // France: pops[us].geo lists FR
    }
    const auto asked = measurements();
    EXPECT_NE(std::find(asked.begin(), asked.end(), ip("203.0.113.0")), asked.end());
    EXPECT_NE(std::find(asked.begin(), asked.end(), ip("192.0.2.0")), asked.end());
    gslb::Explanation explanation;
    decide("203.0.113.9", 32, false, &explanation);
    ASSERT_EQ(explanation.notes.size(), 1u);
    EXPECT_EQ(explanation.notes[0], "latency to 203.0.113.9 unknown or stale and no coverage zone matches: geoip: "
                                    "Asia → POP ap (client in AS/JP); measurement requested");
}

TEST_P(GeoDecisions, MeasuredLatencyOverridesGeoIp) {
    EXPECT_EQ(first("203.0.113.5"), ap_cache);
    latency_.record(gslb::client_prefix_key(ip("203.0.113.5")), 0, 5, now_ms / 1000);    // 5 ms from eu
    latency_.record(gslb::client_prefix_key(ip("203.0.113.5")), 2, 150, now_ms / 1000);  // 150 ms from ap
    for (int i = 0; i < 20; ++i) EXPECT_EQ(first("203.0.113.5"), eu_cache);
    EXPECT_TRUE(measurements().size() <= 1u);  // only the first, unmeasured, query asked
}

TEST_P(GeoDecisions, CoverageZonesOverrideGeoIp) {
    // 10.1.0.0/16 is in Germany (Europe: eu), but the coverage zone 10.0.0.0/8 says us.
    for (int i = 0; i < 20; ++i) EXPECT_EQ(first("10.1.0." + std::to_string(i)), us_cache);
    auto config = geo_config();
    config.coverage.clear();
    use(config);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(first("10.1.0." + std::to_string(i)), eu_cache);
}

TEST_P(GeoDecisions, ClientsTheDatabaseDoesNotPlaceGetNoPreference) {
    std::set<std::string> answers;
    for (int i = 0; i < 300; ++i) answers.insert(first("198.18." + std::to_string(i) + ".1"));
    EXPECT_EQ(answers, (std::set<std::string>{eu_cache, us_cache, ap_cache}));
    gslb::Explanation explanation;
    decide("198.18.0.1", 32, false, &explanation);
    EXPECT_EQ(explanation.candidates[0].score, explanation.candidates[1].score);
    EXPECT_EQ(explanation.candidates[1].score, explanation.candidates[2].score);
    EXPECT_NE(explanation.to_text().find("geoip: the database does not know the client"), std::string::npos);
    // A place no POP lists is no preference either.
    auto config = geo_config();
    config.pops[2].geo.clear();
    use(config);
    answers.clear();
    for (int i = 0; i < 300; ++i) answers.insert(first("203.0.113." + std::to_string(i % 250)));
    EXPECT_EQ(answers.size(), 3u);
}

TEST_P(GeoDecisions, NetworksSmallerThanABucketAreAnsweredPerNetwork) {
    // 192.0.2.0/25 is France (us lists FR), 192.0.2.128/25 is California (North America: us)...
    auto config = geo_config();
    config.pops[0].geo = {"FR"};  // ...so that the halves of one /24 go to different POPs.
    config.pops[1].geo = {"North America"};
    use(config);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(first("192.0.2." + std::to_string(i)), eu_cache);
        EXPECT_EQ(first("192.0.2." + std::to_string(200 + i)), us_cache);
    }
    EXPECT_EQ(decide("192.0.2.0", 24, true).scope_prefix_length, 24);   // ECS /24: answers for what it asked
    EXPECT_EQ(decide("192.0.2.128", 25, true).scope_prefix_length, 25);  // ECS /25: the database network
    EXPECT_EQ(decide("198.51.100.0", 25, true).scope_prefix_length, 24);  // a /24 network: the usual bucket
}

INSTANTIATE_TEST_SUITE_P(DirectAndCached, GeoDecisions, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "cached" : "direct"; });

}  // namespace
}  // namespace udn::dns
