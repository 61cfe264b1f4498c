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

TEST_F(AtomicFileWriterTest, AFailedCommitSaysWhyAndLeavesNothingBehind) {
    const auto busy = directory_ / "busy";  // a directory with a file in it: no file can replace it
    std::filesystem::create_directories(busy);
    ASSERT_FALSE(write_file_atomically(busy / "inside", "kept"));
    AtomicFileWriter writer(busy);
    EXPECT_TRUE(writer.write("x"));
    const auto error = writer.commit();
    ASSERT_TRUE(error);
    EXPECT_NE(error->find(busy.string()), std::string::npos) << *error;
    EXPECT_EQ(read_file(busy / "inside"), "kept");
    EXPECT_EQ(files(), 2u) << "state and busy only: no temporary file";
}

TEST_F(AtomicFileWriterTest, TwoWritersOfOneFileDoNotMixTheirBytes) {
    AtomicFileWriter first(path_);
    AtomicFileWriter second(path_);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(first.write("first "));
        EXPECT_TRUE(second.write("second "));
    }
    EXPECT_FALSE(first.commit());
    EXPECT_FALSE(second.commit());
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += "second ";
    EXPECT_EQ(read_file(path_), expected) << "the last commit, whole";
    EXPECT_EQ(files(), 1u);
}

}  // namespace
}  // namespace udn::runtime
