// Seeding a server's role configuration: `up` replaces, `node` keeps a newer committed version.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "up/seed.hpp"

namespace udn::up {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class UpSeed : public ::testing::Test {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("udn-seed-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        fs::create_directories(base_);
        const auto minimal = read(fs::path(UDN_SOURCE_DIR) / "tests/unit/common/data/minimal.toml");  // version = 3
        ASSERT_NE(minimal.find("version = 3"), std::string::npos);
        std::ofstream(base_ / "v3.toml") << minimal;
        auto v5 = minimal;
        v5.replace(v5.find("version = 3"), 11, "version = 5");
        std::ofstream(base_ / "v5.toml") << v5;
    }
    void TearDown() override { fs::remove_all(base_); }
    fs::path base_;
};

TEST_F(UpSeed, ReplaceAlwaysCopiesAndCreatesDirectories) {
    const auto destination = base_ / "node" / "configd" / "current.toml";
    EXPECT_TRUE(seed_role_config(base_ / "v5.toml", destination, SeedMode::replace));
    EXPECT_TRUE(seed_role_config(base_ / "v3.toml", destination, SeedMode::replace));
    EXPECT_EQ(read(destination), read(base_ / "v3.toml"));
}

TEST_F(UpSeed, IfNewerKeepsACommittedNewerOrEqualVersion) {
    const auto destination = base_ / "configd" / "current.toml";
    EXPECT_TRUE(seed_role_config(base_ / "v3.toml", destination, SeedMode::if_newer));  // missing: copied
    EXPECT_FALSE(seed_role_config(base_ / "v3.toml", destination, SeedMode::if_newer));  // same version: kept
    EXPECT_TRUE(seed_role_config(base_ / "v5.toml", destination, SeedMode::if_newer));   // newer: copied
    EXPECT_FALSE(seed_role_config(base_ / "v3.toml", destination, SeedMode::if_newer));  // older: kept
    EXPECT_EQ(read(destination), read(base_ / "v5.toml"));
    std::ofstream(destination) << "broken = [";
    EXPECT_TRUE(seed_role_config(base_ / "v3.toml", destination, SeedMode::if_newer));  // invalid: replaced
}

}  // namespace
}  // namespace udn::up
