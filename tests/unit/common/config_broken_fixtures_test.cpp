// Every file in data/broken/ is a configuration with one mistake. Its first two lines say what
// `udn check` must report: "# expect: <substring of the message>" and "# line: <line number>".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/config/loader.hpp"

namespace udn::config {
namespace {

const std::filesystem::path broken_dir = std::filesystem::path{UDN_TESTDATA_DIR} / "broken";

struct Expectation {
    std::string substring;
    int line = 0;
};

Expectation read_expectation(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::string first;
    std::string second;
    std::getline(file, first);
    std::getline(file, second);
    return {first.substr(std::string{"# expect: "}.size()), std::stoi(second.substr(std::string{"# line: "}.size()))};
}

TEST(ConfigBrokenFixtures, EachMistakeIsReportedAtItsLineWithAFix) {
    int fixtures = 0;
    for (const auto& entry : std::filesystem::directory_iterator(broken_dir)) {
        SCOPED_TRACE(entry.path().filename().string());
        const auto expected = read_expectation(entry.path());
        const auto result = load_file(entry.path());
        ASSERT_FALSE(result.ok());
        ASSERT_FALSE(result.errors.empty());
        const auto& first = result.errors.front();
        EXPECT_NE(first.what.find(expected.substring), std::string::npos) << first.to_string();
        EXPECT_EQ(first.line, expected.line) << first.to_string();
        EXPECT_FALSE(first.fix.empty());
        EXPECT_EQ(result.errors.size(), 1u) << "one mistake should give one message:\n" << result.error_text();
        ++fixtures;
    }
    EXPECT_GE(fixtures, 15);
}

TEST(ConfigBrokenFixtures, TheBaseOfTheFixturesIsValid) {
    const auto result = load_file(std::filesystem::path{UDN_TESTDATA_DIR} / "minimal.toml");
    EXPECT_TRUE(result.ok()) << result.error_text();
}

}  // namespace
}  // namespace udn::config
