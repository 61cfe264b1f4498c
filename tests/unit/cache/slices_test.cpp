// Slice arithmetic and Content-Range parsing of large objects cached in slices.
#include <gtest/gtest.h>

#include "cache/http/content_range.hpp"
#include "cache/slice/slices.hpp"

namespace udn::cache::slice {
namespace {

TEST(ContentRange, ParsesOneRangeWithItsLength) {
    const auto range = http::parse_content_range("bytes 0-1023/5000");
    ASSERT_TRUE(range);
    EXPECT_EQ(range->first, 0u);
    EXPECT_EQ(range->last, 1023u);
    EXPECT_EQ(range->complete_length_bytes, 5000u);
    const auto last = http::parse_content_range(" Bytes 4096-4999/5000 ");
    ASSERT_TRUE(last);
    EXPECT_EQ(last->first, 4096u);
    EXPECT_EQ(last->last, 4999u);
}

TEST(ContentRange, RefusesWhatASliceCannotUse) {
    for (const auto* value : {"bytes 0-1023/*", "bytes */5000", "items 0-1/2", "bytes 5-4/10", "bytes 0-10/10", "bytes 0-/10",
                              "bytes -1/10", "bytes 0-1", "bytes 1-2/3/4", "bytes 0-1/9999999999999999999", "bytes a-b/c", "",
                              "bytes 0 - 1/10"}) {
        EXPECT_FALSE(http::parse_content_range(value)) << value;
    }
}

TEST(Slices, RangesOfSlicesAndTheLastPartialOne) {
    EXPECT_EQ(slice_count(0, 100), 0u);
    EXPECT_EQ(slice_count(100, 100), 1u);
    EXPECT_EQ(slice_count(101, 100), 2u);
    const auto last = slice_range(2, 100, 250);
    EXPECT_EQ(last.first, 200u);
    EXPECT_EQ(last.last, 249u);
    const auto full = slice_range(1, 100, 250);
    EXPECT_EQ(full.first, 100u);
    EXPECT_EQ(full.last, 199u);
}

TEST(Slices, ARangeNeedsTheSlicesCoveringIt) {
    auto span = slices_covering({150, 160}, 100);
    EXPECT_EQ(span.first_index, 1u);
    EXPECT_EQ(span.last_index, 1u);
    span = slices_covering({99, 100}, 100);
    EXPECT_EQ(span.first_index, 0u);
    EXPECT_EQ(span.last_index, 1u);
    // The range at the very end of an object of 250 bytes (bytes=-1).
    span = slices_covering({249, 249}, 100);
    EXPECT_EQ(span.first_index, 2u);
    EXPECT_EQ(span.last_index, 2u);
    // A range resolved against the length never goes beyond it, so the end of a 416 range
    // never reaches here; the whole object needs every slice.
    http::ByteRange whole;
    ASSERT_EQ(http::parse_range("bytes=0-", 250, whole), http::RangeVerdict::satisfiable);
    span = slices_covering(whole, 100);
    EXPECT_EQ(span.first_index, 0u);
    EXPECT_EQ(span.last_index, 2u);
    EXPECT_EQ(http::parse_range("bytes=250-", 250, whole), http::RangeVerdict::unsatisfiable);
}

TEST(Slices, FirstByteWantedBeforeTheLengthIsKnown) {
    EXPECT_EQ(first_byte_wanted("bytes=20000-40000"), 20000u);
    EXPECT_EQ(first_byte_wanted("bytes=5-"), 5u);
    EXPECT_EQ(first_byte_wanted(" bytes=0-0 "), 0u);
    EXPECT_FALSE(first_byte_wanted("bytes=-500"));  // a suffix needs the length
    EXPECT_FALSE(first_byte_wanted("bytes=0-1,5-6"));
    EXPECT_FALSE(first_byte_wanted("items=0-1"));
    EXPECT_FALSE(first_byte_wanted("bytes=9-2"));
}

TEST(Slices, RequestRangeAndWhatAnswersIt) {
    EXPECT_EQ(request_range(0, 1024), "bytes=0-1023");
    EXPECT_EQ(request_range(3, 1024), "bytes=3072-4095");
    EXPECT_TRUE(answers_slice({3072, 4095, 10000}, 3, 1024));
    EXPECT_TRUE(answers_slice({9216, 9999, 10000}, 9, 1024));   // the last, shorter slice
    EXPECT_FALSE(answers_slice({9216, 9998, 10000}, 9, 1024));  // short of the end
    EXPECT_FALSE(answers_slice({3072, 3999, 10000}, 3, 1024));  // short of the slice
    EXPECT_FALSE(answers_slice({0, 4095, 10000}, 3, 1024));     // another range
    EXPECT_FALSE(answers_slice({0, 1023, 10000}, 0, 0));
}

TEST(Slices, KeysSitBesideTheUrlsVariants) {
    EXPECT_EQ(slice_key("example.com/a", 0), std::string("example.com/a\x1f\x1d") + "0");
    EXPECT_TRUE(slice_key("example.com/a", 12).starts_with(slices_prefix("example.com/a")));
    EXPECT_TRUE(slice_key("example.com/a", 12).starts_with("example.com/a\x1f"));  // a URL purge's prefix
    EXPECT_FALSE(slice_key("example.com/ab", 1).starts_with(slices_prefix("example.com/a")));
}

TEST(Slices, ValidatorsTieSlicesToOneVersion) {
    EXPECT_EQ(validator_of("\"v1\"", ""), "etag \"v1\"");
    EXPECT_EQ(validator_of("W/\"v1\"", "Tue, 24 Nov 2026 05:00:00 GMT"), "last-modified Tue, 24 Nov 2026 05:00:00 GMT");
    EXPECT_EQ(validator_of("W/\"v1\"", ""), "");
    EXPECT_EQ(validator_of("", ""), "");
}

store::ObjectMeta slice_meta(std::string_view content_range, std::string_view etag) {
    store::ObjectMeta meta;
    store::HeaderFields fields{{"Content-Type", "application/octet-stream"}, {"Content-Range", std::string(content_range)}};
    if (!etag.empty()) fields.emplace_back("ETag", std::string(etag));
    meta.set_head(206, fields);
    return meta;
}

TEST(Slices, ASliceBelongsOnlyToItsOwnVersion) {
    const auto first = slice_meta("bytes 0-99/250", "\"a\"");
    EXPECT_TRUE(belongs_to(first, first, 0, 100));
    EXPECT_TRUE(belongs_to(first, slice_meta("bytes 200-249/250", "\"a\""), 2, 100));
    EXPECT_FALSE(belongs_to(first, slice_meta("bytes 200-249/250", "\"b\""), 2, 100));  // changed
    EXPECT_FALSE(belongs_to(first, slice_meta("bytes 200-299/300", "\"a\""), 2, 100));  // other length
    EXPECT_FALSE(belongs_to(first, slice_meta("bytes 100-199/250", "\"a\""), 2, 100));  // other slice
    const auto unvalidated = slice_meta("bytes 0-99/250", "");
    EXPECT_FALSE(belongs_to(unvalidated, unvalidated, 0, 100));
    store::ObjectMeta whole;
    whole.set_head(200, {{"ETag", "\"a\""}});
    EXPECT_FALSE(belongs_to(first, whole, 0, 100));
}

}  // namespace
}  // namespace udn::cache::slice
