// The versioned store: atomic commit, pending pushes, replay memory, pruning, restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/runtime/atomic_file.hpp"
#include "configd/store/store.hpp"

namespace udn::configd::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = fs::temp_directory_path() / ("udn-configd-store-" + random_push_id());
        fs::create_directories(directory_);
        initial_ = directory_ / "initial.toml";
        std::ofstream(initial_) << "version = 1\n";
    }
    void TearDown() override { fs::remove_all(directory_); }

    SignedConfig make(std::uint64_t version) {
        return sign_config("version = " + std::to_string(version) + "\n", version, "ops", random_push_id(), key_);
    }

    signing::PrivateKey key_ = signing::PrivateKey::generate();
    fs::path directory_;
    fs::path initial_;
};

TEST_F(StoreTest, StartsFromTheInitialFileUnsigned) {
    Store store(directory_ / "configd", 3);
    store.open(initial_);
    EXPECT_EQ(store.committed_file(), "version = 1\n");
    EXPECT_FALSE(store.committed_signed());
}

TEST_F(StoreTest, PrepareThenCommitSwitchesAtomicallyAndSurvivesRestart) {
    Store store(directory_ / "configd", 3);
    store.open(initial_);
    const auto v2 = make(2);
    ASSERT_FALSE(store.prepare(v2));
    EXPECT_EQ(store.committed_file(), "version = 1\n");  // prepare never switches
    ASSERT_TRUE(store.pending(v2.push_id));
    ASSERT_FALSE(store.commit(v2.push_id));
    EXPECT_EQ(store.committed_file(), v2.file_bytes);
    EXPECT_FALSE(store.pending(v2.push_id));
    EXPECT_TRUE(store.seen(v2.push_id));

    Store reopened(directory_ / "configd", 3);
    reopened.open(initial_);
    const auto committed = reopened.committed_signed();
    ASSERT_TRUE(committed);
    EXPECT_EQ(committed->version, 2u);
    EXPECT_EQ(committed->signature, v2.signature);
    // Its replay is refused by its version (now the committed one); seen_push_ids gets the id
    // with the next abort (CommittedAndAbortedIdsSurviveARestartAfterAnAbort).
    EXPECT_EQ(committed->push_id, v2.push_id);
}

TEST_F(StoreTest, AbortDropsThePendingPushAndRemembersIt) {
    Store store(directory_ / "configd", 3);
    store.open(initial_);
    const auto v2 = make(2);
    ASSERT_FALSE(store.prepare(v2));
    store.abort(v2.push_id);
    EXPECT_FALSE(store.pending(v2.push_id));
    EXPECT_TRUE(store.seen(v2.push_id));
    EXPECT_TRUE(store.commit(v2.push_id).has_value());
    EXPECT_EQ(store.committed_file(), "version = 1\n");
}

TEST_F(StoreTest, KeepsOnlyTheLastVersions) {
    Store store(directory_ / "configd", 2);
    store.open(initial_);
    for (std::uint64_t version = 2; version <= 5; ++version) {
        const auto config = make(version);
        ASSERT_FALSE(store.prepare(config));
        ASSERT_FALSE(store.commit(config.push_id));
    }
    EXPECT_EQ(store.kept_versions(), (std::vector<std::uint64_t>{4, 5}));
    ASSERT_TRUE(store.kept_version(4));
    EXPECT_EQ(store.kept_version(4)->file_bytes, "version = 4\n");
    EXPECT_FALSE(store.kept_version(3));
}

TEST_F(StoreTest, CommitOfAnOlderPendingDropsIt) {
    Store store(directory_ / "configd", 5);
    store.open(initial_);
    const auto v2 = make(2);
    const auto v3 = make(3);
    ASSERT_FALSE(store.prepare(v2));
    ASSERT_FALSE(store.prepare(v3));
    ASSERT_FALSE(store.commit(v3.push_id));
    EXPECT_FALSE(store.pending(v2.push_id));  // can never be committed now
}

TEST_F(StoreTest, MetaOutOfStepWithCurrentFallsBackToTheKeptCopy) {
    Store store(directory_ / "configd", 5);
    store.open(initial_);
    const auto v2 = make(2);
    ASSERT_FALSE(store.prepare(v2));
    ASSERT_FALSE(store.commit(v2.push_id));
    // Simulates a crash between the two renames of a commit: the meta is another file (current.*
    // are hard links to versions/, so writing into them in place would change the kept copy too).
    fs::remove(directory_ / "configd" / "current.meta.json");
    std::ofstream(directory_ / "configd" / "current.meta.json") << R"({"version": 9, "sha256": "00"})";
    const auto committed = store.committed_signed();
    ASSERT_TRUE(committed);
    EXPECT_EQ(committed->version, 2u);
}

TEST_F(StoreTest, PrepareAndCommitCostFewFsyncsAndCopyNothing) {
    Store store(directory_ / "configd", 5);
    store.open(initial_);
    const auto v2 = make(2);
    const auto before_prepare = runtime::fsync_count();
    ASSERT_FALSE(store.prepare(v2));
    // The file, its meta, their directory: durable before PREPARE is acknowledged.
    EXPECT_EQ(runtime::fsync_count() - before_prepare, 3u);
    const auto before_commit = runtime::fsync_count();
    ASSERT_FALSE(store.commit(v2.push_id));
    EXPECT_EQ(runtime::fsync_count() - before_commit, 2u);  // versions/ and the store directory
    const auto configd = directory_ / "configd";
    EXPECT_TRUE(fs::equivalent(configd / "current.toml", configd / "versions" / "2.toml"));
    EXPECT_TRUE(fs::equivalent(configd / "current.meta.json", configd / "versions" / "2.meta.json"));
    EXPECT_FALSE(fs::exists(configd / "pending" / (v2.push_id + ".toml")));
}

TEST_F(StoreTest, PruningAKeptVersionKeepsTheCommittedFile) {
    Store store(directory_ / "configd", 1);
    store.open(initial_);
    const auto v2 = make(2);
    ASSERT_FALSE(store.prepare(v2));
    ASSERT_FALSE(store.commit(v2.push_id));
    const auto v3 = make(3);
    ASSERT_FALSE(store.prepare(v3));
    ASSERT_FALSE(store.commit(v3.push_id));
    EXPECT_EQ(store.kept_versions(), (std::vector<std::uint64_t>{3}));
    EXPECT_EQ(store.committed_file(), v3.file_bytes);
    ASSERT_TRUE(store.committed_signed());
    EXPECT_EQ(store.committed_signed()->push_id, v3.push_id);
}

TEST_F(StoreTest, CommittedAndAbortedIdsSurviveARestartAfterAnAbort) {
    Store store(directory_ / "configd", 5);
    store.open(initial_);
    const auto v2 = make(2);
    ASSERT_FALSE(store.prepare(v2));
    ASSERT_FALSE(store.commit(v2.push_id));
    const auto v3 = make(3);
    ASSERT_FALSE(store.prepare(v3));
    store.abort(v3.push_id);
    Store reopened(directory_ / "configd", 5);
    reopened.open(initial_);
    EXPECT_TRUE(reopened.seen(v3.push_id));  // only this file refuses an aborted push's replay
    EXPECT_TRUE(reopened.seen(v2.push_id));
}

TEST_F(StoreTest, RefusesMalformedPushIds) {
    Store store(directory_ / "configd", 5);
    store.open(initial_);
    auto config = make(2);
    config.push_id = "../../etc/passwd";
    EXPECT_TRUE(store.prepare(config).has_value());
    EXPECT_FALSE(is_valid_push_id("ABCDEF"));
}

}  // namespace
}  // namespace udn::configd::store
