#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "common/runtime/mirrored_buffer.hpp"

namespace {

using udn::runtime::MirroredBuffer;

TEST(MirroredBuffer, TheSizeIsRoundedUpToPages) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    EXPECT_EQ(MirroredBuffer(1).size(), page);
    EXPECT_EQ(MirroredBuffer(page + 1).size(), 2 * page);
    EXPECT_EQ(MirroredBuffer(4 * page).size(), 4 * page);
}

TEST(MirroredBuffer, ASpanWrittenAcrossTheEndReadsBackWholeFromEitherView) {
    MirroredBuffer buffer(1);
    const auto size = buffer.size();
    constexpr std::string_view text = "a line that crosses the end of the ring\n";
    const auto start = size - 10;  // 10 bytes before the end, the rest after it
    std::memcpy(buffer.data() + start, text.data(), text.size());
    EXPECT_EQ(std::string_view(buffer.data() + start, text.size()), text);
    // The part past the end landed at the start of the buffer.
    EXPECT_EQ(std::string_view(buffer.data(), text.size() - 10), text.substr(10));
    // And a write at the start shows in the second view.
    buffer.data()[0] = '#';
    EXPECT_EQ(buffer.data()[size], '#');
}

TEST(MirroredBuffer, AMovedBufferKeepsItsMemoryAndTheSourceIsEmpty) {
    MirroredBuffer first(1);
    first.data()[3] = 'x';
    MirroredBuffer second(std::move(first));
    EXPECT_EQ(first.data(),
              nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    EXPECT_EQ(second.data()[3], 'x');
    EXPECT_EQ(second.data()[second.size() + 3], 'x');
    MirroredBuffer third(1);
    third = std::move(second);
    EXPECT_EQ(third.data()[3], 'x');
}

}  // namespace
