// The client-state file: what a DNS server learnt of its clients survives a restart, a
// damaged file is refused whole, and POPs are found by name in the new run's slots.
#include "dns/server/client_state_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dns/gslb/candidates.hpp"
#include "test_config.hpp"

namespace udn::dns::server {
namespace {

using testing::ip;

class ClientStateFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("udn-client-state-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        path_ = client_state_path(directory_);
        std::vector<std::string> errors;
        config_ = std::make_shared<const config::Config>(testing::make_config());
        serving_ = server::ServingState::build(config_, 1, errors);
        ASSERT_TRUE(serving_) << errors.front();
        ASSERT_GE(config_->pops.size(), 2u);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

    std::uint64_t pop(std::size_t position) const {
        return gslb::stable_identity(config_->pops[position].name);
    }
    static std::uint64_t prefix(std::uint32_t n) {
        return gslb::client_prefix_key(net::IpAddress::v4(
            {10, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), 0}));
    }
    // Tables filled as a running server's would be: 500 windows (100 of them over), 300
    // prefixes measured from the first two POPs (every tenth from the second one long ago).
    void fill(gslb::PersistenceTable& persistence, gslb::LatencyTable& latency) const {
        for (std::uint32_t n = 0; n < 500; ++n) {
            persistence.remember(7, prefix(n), 100 + n, n < 100 ? now_ms_ - 1 : now_ms_ + 60'000,
                                 now_ms_ - 10);
        }
        for (std::uint32_t n = 0; n < 300; ++n) {
            latency.record(prefix(n), 0, 10 + n % 40, now_s_ - 5,
                           n % 3 == 0 ? gslb::loss_not_measured : 4 * n % 1000);
            latency.record(prefix(n), 1, 50 + n % 40, n % 10 == 0 ? now_s_ - 7200 : now_s_ - 5, 0);
        }
    }
    cluster::ClientStateView view_of(const gslb::PersistenceTable& persistence,
                                     const gslb::LatencyTable& latency) const {
        return {&persistence, &latency, {pop(0), pop(1), 0}, now_s_ - 3600};
    }
    ClientStateFileResult load_into(gslb::PersistenceTable& persistence,
                                    gslb::LatencyTable& latency,
                                    const ServingState& serving) const {
        return load_client_state(path_, serving, persistence, latency, now_ms_ + 1000,
                                 now_s_ - 3600);
    }
    void damage(std::uint64_t offset) const {
        std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(static_cast<std::streamoff>(offset));
        char byte = 0;
        file.get(byte);
        file.seekp(static_cast<std::streamoff>(offset));
        file.put(static_cast<char>(byte ^ 1));
    }

    std::filesystem::path directory_;
    std::filesystem::path path_;
    std::shared_ptr<const config::Config> config_;
    std::shared_ptr<const ServingState> serving_;
    const std::int64_t now_ms_ = 1'800'000'000'000;
    const std::uint32_t now_s_ = 1'800'000'000;
};

TEST_F(ClientStateFileTest, WhatASavedRunKnewIsKnownAgain) {
    gslb::PersistenceTable persistence(4096);
    gslb::LatencyTable latency(3, 4096);
    fill(persistence, latency);
    const auto saved = save_client_state(path_, view_of(persistence, latency), now_ms_);
    ASSERT_FALSE(saved.error) << *saved.error;
    EXPECT_EQ(saved.persistence, 400u) << "windows still open";
    EXPECT_EQ(saved.latency, 300u + 270u) << "fresh measurements of slots a POP holds";
    EXPECT_EQ(std::filesystem::file_size(path_), 8 + 400 * 32 + 570 * 24 + 24 + 32);
    EXPECT_FALSE(
        std::filesystem::exists(path_.parent_path() / ("." + path_.filename().string() + ".tmp")));

    // The next run numbers its slots otherwise: the second POP in slot 0, the first in slot 2.
    auto next = std::make_shared<ServingState>(*serving_);
    next->latency_slots.assign(config_->pops.size(), gslb::no_latency_slot);
    next->latency_slots[0] = 2;
    next->latency_slots[1] = 0;
    gslb::PersistenceTable restored_persistence(4096);
    gslb::LatencyTable restored_latency(3, 4096);
    const auto loaded = load_into(restored_persistence, restored_latency, *next);
    ASSERT_FALSE(loaded.error) << *loaded.error;
    EXPECT_EQ(loaded.saved_at_ms, now_ms_);
    EXPECT_EQ(loaded.persistence, 400u);
    EXPECT_EQ(loaded.latency, 570u);
    for (std::uint32_t n = 0; n < 500; ++n) {
        const auto kept = restored_persistence.lookup(7, prefix(n), now_ms_ + 1000);
        if (n < 100) {
            EXPECT_FALSE(kept) << n;
        } else {
            EXPECT_EQ(kept, 100u + n) << n;
        }
    }
    for (std::uint32_t n = 0; n < 300; ++n) {
        std::uint32_t latency_ms[3];
        std::uint32_t at[3];
        std::uint16_t loss[3];
        ASSERT_TRUE(restored_latency.lookup(prefix(n), latency_ms, at, loss)) << n;
        EXPECT_EQ(latency_ms[2], 10u + n % 40) << "the first POP, now in slot 2";
        EXPECT_EQ(at[2], now_s_ - 5);
        EXPECT_EQ(loss[2], n % 3 == 0 ? gslb::loss_not_measured : 4 * n % 1000 / 4 * 4);
        EXPECT_EQ(latency_ms[0], n % 10 == 0 ? UINT32_MAX : 50u + n % 40)
            << "the second POP, now in slot 0";
        EXPECT_EQ(latency_ms[1], UINT32_MAX);
    }
}

TEST_F(ClientStateFileTest, ADamagedFileGivesNothingAndSaysWhy) {
    gslb::PersistenceTable persistence(4096);
    gslb::LatencyTable latency(3, 4096);
    fill(persistence, latency);
    ASSERT_FALSE(save_client_state(path_, view_of(persistence, latency), now_ms_).error);
    const auto size = std::filesystem::file_size(path_);
    const auto refused = [&](const std::string& why) {
        gslb::PersistenceTable p(4096);
        gslb::LatencyTable l(3, 4096);
        const auto loaded = load_into(p, l, *serving_);
        EXPECT_TRUE(loaded.error) << why;
        EXPECT_TRUE(loaded.damaged) << why;
        EXPECT_EQ(loaded.persistence + loaded.latency, 0u) << why;
        EXPECT_EQ(l.size(), 0u) << why;
        std::size_t live = 0;
        p.for_each_live(now_ms_, [&](const auto&) { ++live; });
        EXPECT_EQ(live, 0u) << why;
        return loaded.error.value_or("");
    };
    damage(8 + 401 * 32 + 3);  // a latency record's byte
    EXPECT_NE(refused("a changed record").find("checksum"), std::string::npos);
    damage(8 + 401 * 32 + 3);
    damage(0);
    EXPECT_NE(refused("another magic").find("not a udn client state file"), std::string::npos);
    damage(0);
    damage(size - 32 - 1);  // the latency count
    EXPECT_NE(refused("a count that does not fit the size").find("does not match"),
              std::string::npos);
    damage(size - 32 - 1);
    std::filesystem::resize_file(path_, size - 24);
    EXPECT_NE(refused("cut short").find("does not match"), std::string::npos);
    std::filesystem::resize_file(path_, 20);
    EXPECT_NE(refused("cut to nothing").find("too short"), std::string::npos);
    EXPECT_NE(refused("cut to nothing").find(path_.string()), std::string::npos)
        << "the error names the file";
}

TEST_F(ClientStateFileTest, NoFileIsAFirstStart) {
    gslb::PersistenceTable persistence(4096);
    gslb::LatencyTable latency(3, 4096);
    const auto loaded = load_into(persistence, latency, *serving_);
    EXPECT_FALSE(loaded.error);
    EXPECT_EQ(loaded.saved_at_ms, 0);
    EXPECT_EQ(loaded.persistence + loaded.latency, 0u);
}

TEST_F(ClientStateFileTest, AFailedSaveSaysWhyAndLeavesNothingBehind) {
    gslb::PersistenceTable persistence(4096);
    gslb::LatencyTable latency(3, 4096);
    fill(persistence, latency);
    // A directory with a file in it where the file should go: the rename onto it fails.
    std::filesystem::create_directories(path_);
    std::ofstream(path_ / "keep") << "kept";
    const auto saved = save_client_state(path_, view_of(persistence, latency), now_ms_);
    ASSERT_TRUE(saved.error);
    EXPECT_NE(saved.error->find(path_.string()), std::string::npos);
    EXPECT_NE(saved.error->find("cannot rename"), std::string::npos) << *saved.error;
    EXPECT_TRUE(std::filesystem::exists(path_ / "keep"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path_.parent_path()), {}), 1)
        << "no temporary file is left";
}

TEST_F(ClientStateFileTest, AFileThatCannotBeReadIsNotCalledDamaged) {
    std::filesystem::create_directories(path_);  // opens, but reading it fails (EISDIR)
    gslb::PersistenceTable persistence(4096);
    gslb::LatencyTable latency(3, 4096);
    const auto loaded = load_into(persistence, latency, *serving_);
    ASSERT_TRUE(loaded.error);
    EXPECT_FALSE(loaded.damaged) << *loaded.error << ": it may be fine once it can be read";
}

TEST_F(ClientStateFileTest, MeasurementsFromTheFutureCountAsTakenNow) {
    gslb::LatencyTable latency(3, 4096);
    latency.record(prefix(1), 0, 25, now_s_ + 86'400);  // the saving host's clock was a day ahead
    ASSERT_FALSE(
        save_client_state(path_, {nullptr, &latency, {pop(0)}, now_s_ - 3600}, now_ms_).error);
    gslb::PersistenceTable restored(4096);
    gslb::LatencyTable restored_latency(3, 4096);
    ASSERT_EQ(load_into(restored, restored_latency, *serving_).latency, 1u);
    std::uint32_t latency_ms[3];
    std::uint32_t at[3];
    ASSERT_TRUE(restored_latency.lookup(prefix(1), latency_ms, at));
    EXPECT_EQ(latency_ms[0], 25u);
    EXPECT_EQ(at[0], now_s_ + 1);
}

}  // namespace
}  // namespace udn::dns::server
