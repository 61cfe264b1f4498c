#include "probe/service/content_match.hpp"

#include <gtest/gtest.h>

namespace udn::probe::service {
namespace {

// sha256("ok\n")
constexpr const char* ok_sha256 = "dc51b8c96c2d745df3bd5590d990230a482fd247123599548e0632fdbf97fc22";

TEST(ContentMatcher, PassesWhenNothingIsConfigured) {
    config::ServiceCheck check;
    EXPECT_FALSE(ContentMatcher(check).mismatch("anything", "x"));
}

TEST(ContentMatcher, SubstringRegexAndDigestMustAllHold) {
    config::ServiceCheck check;
    check.expect_substring = "ok";
    EXPECT_FALSE(ContentMatcher(check).mismatch("status: ok", ""));
    EXPECT_TRUE(ContentMatcher(check).mismatch("status: failed", ""));

    check.expect_regex = "^status: (ok|fine)$";
    EXPECT_FALSE(ContentMatcher(check).mismatch("status: ok", ""));
    EXPECT_TRUE(ContentMatcher(check).mismatch("status: ok!", ""));

    config::ServiceCheck digest;
    digest.expect_sha256 = std::string(ok_sha256);
    for (auto& c : digest.expect_sha256) c = static_cast<char>(std::toupper(c));
    EXPECT_FALSE(ContentMatcher(digest).mismatch("", ok_sha256)) << "hex case does not matter";
    EXPECT_TRUE(ContentMatcher(digest).mismatch("", std::string(64, '0')));
}

}  // namespace
}  // namespace udn::probe::service
