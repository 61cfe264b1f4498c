// Spool writer: closing by size and age, exactly-once publication, crash recovery.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/runtime/spool.hpp"

namespace udn::runtime {
namespace {

namespace fs = std::filesystem;

class RuntimeSpool : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = fs::temp_directory_path() /
                     ("udn-spool-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(directory_);
    }
    void TearDown() override { fs::remove_all(directory_); }

    SpoolOptions options(std::uint64_t max_bytes, std::uint32_t max_age_s) const {
        return {directory_ / "spool" / "dns", max_bytes, max_age_s};
    }
    WallClock clock() {
        return [this] { return now_; };
    }
    std::vector<fs::path> ready_files() const {
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(directory_ / "spool" / "dns" / "ready")) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        return files;
    }
    static std::string read(const fs::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    fs::path directory_;
    std::chrono::system_clock::time_point now_ = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000);
};

TEST_F(RuntimeSpool, ClosesBySizeIntoReadyWithTimestampAndSeq) {
    SpoolWriter writer(options(10, 60), clock());
    writer.append("12345");  // 6 bytes
    EXPECT_TRUE(ready_files().empty());
    writer.append("abcd");   // 11 bytes >= 10: closed
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(read(files[0]), "12345\nabcd\n");
    EXPECT_EQ(files[0].filename().string(), "20241004T000000.000Z-000001.log");
    EXPECT_FALSE(fs::exists(writer.current_path()));
    EXPECT_EQ(writer.files_closed(), 1u);
}

TEST_F(RuntimeSpool, AppendsABatchOfLinesAndClosesBySize) {
    SpoolWriter writer(options(12, 60), clock());
    writer.append_lines("one\ntwo\n");  // 8 bytes
    EXPECT_TRUE(ready_files().empty());
    writer.append_lines("three");  // no final newline: one is added; 14 bytes >= 12: closed
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(read(files[0]), "one\ntwo\nthree\n");
    writer.append_lines("");
    EXPECT_FALSE(fs::exists(writer.current_path()));
}

TEST_F(RuntimeSpool, ClosesByAgeOnTickAndBeforeAppend) {
    SpoolWriter writer(options(1 << 20, 60), clock());
    writer.append("first");
    now_ += std::chrono::seconds(59);
    writer.tick();
    EXPECT_TRUE(ready_files().empty());
    now_ += std::chrono::seconds(1);
    writer.tick();
    ASSERT_EQ(ready_files().size(), 1u);
    writer.append("second");
    now_ += std::chrono::seconds(61);
    writer.append("third");  // the old file closes first, "third" starts a new one
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(read(files[1]), "second\n");
    EXPECT_EQ(read(writer.current_path()), "third\n");
}

TEST_F(RuntimeSpool, NewlinesInsideALineCannotSplitIt) {
    SpoolWriter writer(options(1 << 20, 60), clock());
    writer.append("a\nb\rc");
    writer.close_current();
    EXPECT_EQ(read(ready_files().at(0)), "a b c\n");
}

TEST_F(RuntimeSpool, BatchOfLinesIsAppendedWhole) {
    SpoolWriter writer(options(1 << 20, 60), clock());
    writer.append("one");
    writer.append_lines("two\nthree\rx\nfour");  // the last line gets its newline
    writer.append_lines("five\n");
    writer.append_lines("");
    EXPECT_EQ(read(writer.current_path()), "one\ntwo\nthree x\nfour\nfive\n");
}

TEST_F(RuntimeSpool, BatchCrossingMaxBytesSplitsAtALineBoundary) {
    SpoolWriter writer(options(10, 60), clock());
    writer.append_lines("1234\n5678\nabcdefghijkl\nxy\n");  // 5, 10 (closes), 13 (closes), 3
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(read(files[0]), "1234\n5678\n");
    EXPECT_EQ(read(files[1]), "abcdefghijkl\n");
    EXPECT_EQ(read(writer.current_path()), "xy\n");
}

TEST_F(RuntimeSpool, BatchAfterMaxAgeStartsANewFile) {
    SpoolWriter writer(options(1 << 20, 60), clock());
    writer.append_lines("old\n");
    now_ += std::chrono::seconds(60);
    writer.append_lines("new 1\nnew 2\n");
    ASSERT_EQ(ready_files().size(), 1u);
    EXPECT_EQ(read(ready_files()[0]), "old\n");
    EXPECT_EQ(read(writer.current_path()), "new 1\nnew 2\n");
}

TEST_F(RuntimeSpool, SameTimestampNeverOverwrites) {
    SpoolWriter writer(options(1, 60), clock());
    for (int i = 0; i < 3; ++i) writer.append(std::to_string(i));
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(read(files[static_cast<std::size_t>(i)]), std::to_string(i) + "\n");
}

TEST_F(RuntimeSpool, DestructorPublishesWhatIsLeft) {
    { SpoolWriter(options(1 << 20, 60), clock()).append("last words"); }
    ASSERT_EQ(ready_files().size(), 1u);
    EXPECT_EQ(read(ready_files()[0]), "last words\n");
}

TEST_F(RuntimeSpool, CrashLeftoverIsRecoveredWithoutItsTornLine) {
    const auto spool = directory_ / "spool" / "dns";
    fs::create_directories(spool);
    std::ofstream(spool / "current") << "complete 1\ncomplete 2\ntorn";
    SpoolWriter writer(options(1 << 20, 60), clock());
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(read(files[0]), "complete 1\ncomplete 2\n");
    EXPECT_FALSE(fs::exists(writer.current_path()));
}

TEST_F(RuntimeSpool, LeftoverWithOnlyATornLineIsDropped) {
    const auto spool = directory_ / "spool" / "dns";
    fs::create_directories(spool);
    std::ofstream(spool / "current") << "torn";
    SpoolWriter writer(options(1 << 20, 60), clock());
    EXPECT_TRUE(ready_files().empty());
    EXPECT_FALSE(fs::exists(writer.current_path()));
}

// ready/ replaced by a file makes every publication fail (the tests run as root, so
// permissions would not), and putting the directory back lets them work again.
TEST_F(RuntimeSpool, AFileThatCouldNotBeClosedKeepsItsLinesAndTheBatchSaysWhatWasTaken) {
    SpoolWriter writer(options(10, 60), clock());
    writer.append_lines("1234\n");
    const auto ready = writer.ready_directory();
    fs::remove_all(ready);
    std::ofstream(ready) << "in the way";
    try {
        writer.append_lines("5678\nab\n");  // "5678" fills the file to 10 bytes: closing it fails
        FAIL() << "expected the close to fail";
    } catch (const SpoolError& error) {
        EXPECT_EQ(error.appended_bytes(), 5u) << "5678\\n is in current, ab\\n is not";
        EXPECT_NE(std::string{error.what()}.find("ready"), std::string::npos) << error.what();
    }
    EXPECT_EQ(read(writer.current_path()), "1234\n5678\n");
    try {
        writer.append_lines("cd\n");  // still failing: current is neither published nor cut
        FAIL() << "expected the open to fail while ready/ is a file";
    } catch (const SpoolError& error) {
        EXPECT_EQ(error.appended_bytes(), 0u);
    }
    EXPECT_EQ(read(writer.current_path()), "1234\n5678\n");
    fs::remove(ready);
    fs::create_directories(ready);
    writer.append_lines("ef\n");
    const auto files = ready_files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(read(files[0]), "1234\n5678\n") << "published before the next file was opened";
    EXPECT_EQ(read(writer.current_path()), "ef\n");
}

TEST_F(RuntimeSpool, UnwritableDirectoryIsAClearError) {
    fs::create_directories(directory_);
    std::ofstream(directory_ / "spool") << "a file, not a directory";
    try {
        SpoolWriter writer(options(10, 60), clock());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string{error.what()}.find("spool"), std::string::npos);
    }
}

}  // namespace
}  // namespace udn::runtime
