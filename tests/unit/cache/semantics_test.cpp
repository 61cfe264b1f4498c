// HTTP dates, Cache-Control and the RFC 9111 storage and freshness rules.
#include <gtest/gtest.h>

#include "cache/http/cache_control.hpp"
#include "cache/http/date.hpp"
#include "cache/policy/freshness.hpp"

namespace udn::cache {
namespace {

TEST(HttpDate, ParsesAllThreeFormatsAndFormats) {
    EXPECT_EQ(http::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_EQ(http::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    EXPECT_EQ(http::parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
    EXPECT_EQ(http::format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_FALSE(http::parse_http_date("0"));
    EXPECT_FALSE(http::parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    EXPECT_FALSE(http::parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
}

TEST(CacheControl, ParsesDirectives) {
    http::CacheControl cc;
    http::parse_cache_control("public, max-age=60, s-maxage=\"30\", stale-while-revalidate=5", cc);
    http::parse_cache_control("stale-if-error=99999999999, private=\"Set-Cookie, X\"", cc);
    EXPECT_TRUE(cc.is_public);
    EXPECT_EQ(cc.max_age_s, 60);
    EXPECT_EQ(cc.s_maxage_s, 30);
    EXPECT_EQ(cc.stale_while_revalidate_s, 5);
    EXPECT_EQ(cc.stale_if_error_s, 2147483648LL);
    EXPECT_TRUE(cc.is_private);
    http::CacheControl bad;
    http::parse_cache_control("max-age=abc", bad);
    EXPECT_EQ(bad.max_age_s, 0);
}

TEST(Freshness, StorageRules) {
    policy::RequestFacts request;
    policy::ResponseFacts response;
    response.cache_control.max_age_s = 60;
    EXPECT_FALSE(policy::why_not_storable(request, response));
    auto no_store = response;
    no_store.cache_control.no_store = true;
    EXPECT_TRUE(policy::why_not_storable(request, no_store));
    auto is_private = response;
    is_private.cache_control.is_private = true;
    EXPECT_TRUE(policy::why_not_storable(request, is_private));
    auto authorized = request;
    authorized.has_authorization = true;
    EXPECT_TRUE(policy::why_not_storable(authorized, response));
    auto is_public = response;
    is_public.cache_control.is_public = true;
    EXPECT_FALSE(policy::why_not_storable(authorized, is_public));
    policy::ResponseFacts teapot;
    teapot.status = 418;
    EXPECT_TRUE(policy::why_not_storable(request, teapot));
    auto vary_star = response;
    vary_star.vary = "*";
    EXPECT_TRUE(policy::why_not_storable(request, vary_star));
}

TEST(Freshness, LifetimeOrder) {
    policy::ResponseFacts response;
    response.date_s = 1000;
    response.expires_s = 1100;
    response.has_expires = true;
    EXPECT_EQ(policy::freshness_lifetime_s(response, 86400), 100);
    response.cache_control.max_age_s = 50;
    EXPECT_EQ(policy::freshness_lifetime_s(response, 86400), 50);
    response.cache_control.s_maxage_s = 20;
    EXPECT_EQ(policy::freshness_lifetime_s(response, 86400), 20);
    policy::ResponseFacts heuristic;
    heuristic.date_s = 10000;
    heuristic.last_modified_s = 0;
    EXPECT_EQ(policy::freshness_lifetime_s(heuristic, 86400), 1000);
    EXPECT_EQ(policy::freshness_lifetime_s(heuristic, 300), 300);
    heuristic.status = 302;
    EXPECT_EQ(policy::freshness_lifetime_s(heuristic, 86400), 0);
    policy::ResponseFacts invalid_expires;
    invalid_expires.has_expires = true;
    invalid_expires.date_s = 1;
    EXPECT_EQ(policy::freshness_lifetime_s(invalid_expires, 86400), 0);
}

TEST(Freshness, CorrectedInitialAge) {
    policy::ResponseFacts response;
    response.date_s = 100;
    response.age_s = 30;
    EXPECT_EQ(policy::corrected_initial_age_s(response, 110, 112), 32);
    response.age_s.reset();
    EXPECT_EQ(policy::corrected_initial_age_s(response, 150, 160), 60);
}

}  // namespace
}  // namespace udn::cache
