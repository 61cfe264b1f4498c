// Routing never makes the cache an open proxy, and path traversal is refused.
#include <gtest/gtest.h>

#include "cache/purge/auth.hpp"
#include "cache/server/routes.hpp"

namespace udn::cache::server {
namespace {

std::shared_ptr<const config::Config> demo_config() {
    auto config = std::make_shared<config::Config>();
    config::Customer acme;
    acme.name = "acme";
    config::Origin mirror1;
    mirror1.name = "m1";
    mirror1.address = *net::IpAddress::parse("127.0.9.1");
    config::Origin mirror2 = mirror1;
    mirror2.name = "m2";
    mirror2.backup = true;
    acme.origins = {mirror2, mirror1};
    config::Domain www;
    www.name = "www.acme.example";
    config::Domain cdn;
    cdn.name = "acme.cdn.example";
    cdn.kind = config::DomainKind::static_name;
    cdn.path_form = true;
    cdn.origins = {"m1", "m2"};
    config::Domain images;
    images.name = "images.acme.example";
    images.kind = config::DomainKind::static_name;
    images.origins = {"m1"};
    images.origin_host = "wwx.acme.example";
    config::Domain elsewhere = images;
    elsewhere.name = "us-only.acme.example";
    elsewhere.pops = {"us-east"};
    acme.domains = {www, cdn, images, elsewhere};
    config->customers.push_back(acme);
    return config;
}

TEST(Routes, PathFormAcceptsOnlyTheCustomersDomains) {
    RouteTable table(demo_config(), "eu-west");
    auto routed = table.route("acme.cdn.example:80", "/www.acme.example/images/logo.gif?x=1");
    ASSERT_TRUE(std::holds_alternative<Route>(routed));
    const auto& route = std::get<Route>(routed);
    EXPECT_EQ(route.origin_host(), "www.acme.example");
    EXPECT_EQ(route.origin_target(), "/images/logo.gif?x=1");
    EXPECT_EQ(route.key, "www.acme.example/images/logo.gif?x=1");
    ASSERT_EQ(route.site->origins.size(), 2u);
    EXPECT_EQ(route.site->origins[0]->name, "m1");  // primaries before backups
    auto foreign = table.route("acme.cdn.example", "/evil.example/x");
    ASSERT_TRUE(std::holds_alternative<RouteError>(foreign));
    EXPECT_EQ(std::get<RouteError>(foreign).status, 404);
}

TEST(Routes, VirtualHostingUsesTheConfiguredOriginHost) {
    RouteTable table(demo_config(), "eu-west");
    auto routed = table.route("IMAGES.acme.example.", "/a.png");
    ASSERT_TRUE(std::holds_alternative<Route>(routed));
    EXPECT_EQ(std::get<Route>(routed).origin_host(), "wwx.acme.example");
    EXPECT_EQ(std::get<Route>(routed).key, "images.acme.example/a.png");
}

TEST(Routes, UnknownHostsAndOtherPopsNamesAreRefused) {
    RouteTable table(demo_config(), "eu-west");
    for (const auto* host : {"evil.example", "www.acme.example", "us-only.acme.example", ""}) {
        auto routed = table.route(host, "/");
        ASSERT_TRUE(std::holds_alternative<RouteError>(routed)) << host;
        EXPECT_EQ(std::get<RouteError>(routed).status, 421);
    }
}

TEST(Routes, TraversalIsRefused) {
    for (const auto* target : {"/a/../b", "/..", "/a/%2e%2E/b", "/a/.%2e/b", "/a%2fb", "/a%5cb", "/a\\b", "/./a",
                               "/a%00", "/a%2", "*", "a/b"}) {
        EXPECT_FALSE(check_target(target).empty()) << target;
    }
    for (const auto* target : {"/a/b", "/a..b/c", "/a/.hidden", "/?q=../x", "/%41"}) {
        EXPECT_TRUE(check_target(target).empty()) << target;
    }
}

TEST(PurgeAuth, AcceptsOnlyFreshCorrectSignatures) {
    const std::string key = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e";
    const auto header = purge::authorization_header(key, "POST", "/purge?all=1", 1000);
    EXPECT_EQ(purge::verify(key, "POST", "/purge?all=1", header, 1100), "");
    EXPECT_NE(purge::verify(key, "POST", "/purge?site=x", header, 1100), "");
    EXPECT_NE(purge::verify(key, "POST", "/purge?all=1", header, 2000), "");
    EXPECT_NE(purge::verify(key, "POST", "/purge?all=1", std::nullopt, 1000), "");
    EXPECT_NE(purge::verify(std::string(64, '0'), "POST", "/purge?all=1", header, 1000), "");
}

}  // namespace
}  // namespace udn::cache::server
