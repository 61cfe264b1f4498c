#include "common/config/reloadable.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace udn::config {
namespace {

std::string minimal_text() {
    std::ifstream file(std::string{UDN_TESTDATA_DIR} + "/minimal.toml");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

class ReloadableConfigTest : public ::testing::Test {
protected:
    void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
    void TearDown() override { std::filesystem::remove(path_); }
    std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                  ("udn-reload-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                   "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
};

TEST_F(ReloadableConfigTest, SwapsToAValidNewFileAndReadersSeeIt) {
    write(minimal_text());
    ReloadableConfig config(path_);
    SnapshotReader<Config> reader(config.snapshot());
    EXPECT_EQ(reader.current().version, 3u);
    auto text = minimal_text();
    text.replace(text.find("version = 3"), 11, "version = 4");
    write(text);
    const auto outcome = config.reload();
    EXPECT_TRUE(outcome.changed) << outcome.message;
    EXPECT_EQ(reader.current().version, 4u);
}

TEST_F(ReloadableConfigTest, KeepsTheRunningSnapshotWhenTheNewFileIsBroken) {
    write(minimal_text());
    ReloadableConfig config(path_);
    const auto before = config.current();
    write(minimal_text() + "\nbogus = 1\n");
    const auto outcome = config.reload();
    EXPECT_FALSE(outcome.changed);
    EXPECT_NE(outcome.message.find("unknown key 'bogus'"), std::string::npos) << outcome.message;
    EXPECT_EQ(config.current(), before);
}

TEST_F(ReloadableConfigTest, UnchangedContentPublishesNothing) {
    write(minimal_text());
    ReloadableConfig config(path_);
    const auto generation = config.snapshot().generation();
    EXPECT_FALSE(config.reload().changed);
    EXPECT_EQ(config.snapshot().generation(), generation);
}

TEST_F(ReloadableConfigTest, ABrokenFileAtStartUpThrowsWithTheDiagnostics) {
    write("version = 1\n");
    EXPECT_THROW(ReloadableConfig{path_}, std::runtime_error);
}

}  // namespace
}  // namespace udn::config
