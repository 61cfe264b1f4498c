// Byte ranges of stored objects.
#include <gtest/gtest.h>

#include "cache/http/range.hpp"

namespace udn::cache::http {
namespace {

TEST(Range, SingleRanges) {
    ByteRange range;
    ASSERT_EQ(parse_range("bytes=0-9", 100, range), RangeVerdict::satisfiable);
    EXPECT_EQ(range.first, 0u);
    EXPECT_EQ(range.last, 9u);
    ASSERT_EQ(parse_range("bytes=90-", 100, range), RangeVerdict::satisfiable);
    EXPECT_EQ(range.last, 99u);
    ASSERT_EQ(parse_range("bytes=90-1000", 100, range), RangeVerdict::satisfiable);
    EXPECT_EQ(range.last, 99u);
    ASSERT_EQ(parse_range("bytes=-10", 100, range), RangeVerdict::satisfiable);
    EXPECT_EQ(range.first, 90u);
    ASSERT_EQ(parse_range("bytes=-1000", 100, range), RangeVerdict::satisfiable);
    EXPECT_EQ(range.first, 0u);
}

TEST(Range, IgnoredAndUnsatisfiable) {
    ByteRange range;
    EXPECT_EQ(parse_range("bytes=100-", 100, range), RangeVerdict::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 100, range), RangeVerdict::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-1,5-6", 100, range), RangeVerdict::ignore);
    EXPECT_EQ(parse_range("items=0-1", 100, range), RangeVerdict::ignore);
    EXPECT_EQ(parse_range("bytes=5-1", 100, range), RangeVerdict::ignore);
    EXPECT_EQ(parse_range("bytes=a-b", 100, range), RangeVerdict::ignore);
    EXPECT_EQ(parse_range("bytes=99999999999999999999-", 100, range), RangeVerdict::ignore);
}

}  // namespace
}  // namespace udn::cache::http
