// A file written in pieces is in place only after commit(); until then, and after a failure,
// the old file stands and no temporary file is left behind.
#include "common/runtime/atomic_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace udn::runtime {
namespace {

class AtomicFileWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("udn-atomic-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
        path_ = directory_ / "state";
        ASSERT_FALSE(write_file_atomically(path_, "old"));
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::size_t files() const {
        return static_cast<std::size_t>(
            std::distance(std::filesystem::directory_iterator(directory_), {}));
    }

    std::filesystem::path directory_;
    std::filesystem::path path_;
};

TEST_F(AtomicFileWriterTest, PiecesArrivePutTogetherAtTheCommit) {
    AtomicFileWriter writer(path_);
    EXPECT_TRUE(writer.write("new "));
    EXPECT_TRUE(writer.write("bytes"));
    EXPECT_EQ(read_file(path_), "old") << "nothing changes before the commit";
    EXPECT_FALSE(writer.commit());
    EXPECT_EQ(read_file(path_), "new bytes");
    EXPECT_EQ(files(), 1u);
}

TEST_F(AtomicFileWriterTest, AWriterDroppedWithoutACommitLeavesNothingBehind) {
    {
        AtomicFileWriter writer(path_);
        EXPECT_TRUE(writer.write("half"));
    }
    EXPECT_EQ(read_file(path_), "old");
    EXPECT_EQ(files(), 1u);
}

TEST_F(AtomicFileWriterTest, AFailureIsReportedAndTheOldFileStands) {
    AtomicFileWriter writer(directory_ / "missing-directory" / "state");
    ASSERT_TRUE(writer.error());
    EXPECT_NE(writer.error()->find("cannot create"), std::string::npos);
    EXPECT_FALSE(writer.write("x"));
    EXPECT_TRUE(writer.commit());
    EXPECT_EQ(read_file(path_), "old");
}

}  // namespace
}  // namespace udn::runtime
