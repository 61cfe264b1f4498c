#include "probe/service/target.hpp"

#include <gtest/gtest.h>

namespace udn::probe::service {
namespace {

config::Config sample_config() {
    config::Config config;
    config.ports.loadp = 5999;
    config.ports.cache_admin = 9999;
    config::Pop pop;
    pop.name = "eu";
    config::Server cache;
    cache.name = "eu-cache1";
    cache.addresses = {*udn::net::IpAddress::parse("127.0.1.2")};
    cache.roles = {config::Role::cache};
    config::Server dns;
    dns.name = "eu-ns1";
    dns.addresses = {*udn::net::IpAddress::parse("127.0.1.1")};
    dns.roles = {config::Role::dns};
    pop.servers = {cache, dns};
    config.pops = {pop};
    config::Customer customer;
    customer.name = "acme";
    config::Origin checked;
    checked.name = "mirror-1";
    checked.address = *udn::net::IpAddress::parse("127.0.9.1");
    checked.port = 8080;
    checked.check.type = config::CheckType::https;
    config::Origin unchecked = checked;
    unchecked.name = "mirror-2";
    unchecked.check.type = config::CheckType::none;
    customer.origins = {checked, unchecked};
    config::Domain images;
    images.name = "img.acme.example";
    images.kind = config::DomainKind::static_name;
    images.origins = {"mirror-1"};
    config::Domain www;
    www.name = "www.acme.example";
    www.origins = {"mirror-1"};
    customer.domains = {images, www};
    config.customers = {customer};
    return config;
}

TEST(Targets, OriginsWithAChecksAndEveryPopCache) {
    const auto targets = targets_from_config(sample_config());
    ASSERT_EQ(targets.size(), 2u);
    const auto& origin = targets[0];
    EXPECT_EQ(origin.label(), "acme/mirror-1");
    EXPECT_EQ(origin.endpoint.to_string(), "127.0.9.1:8080");
    EXPECT_EQ(origin.host, "www.acme.example") << "the dynamic name a user would ask for";
    EXPECT_EQ(origin.load_agent.to_string(), "127.0.9.1:5999");
    EXPECT_EQ(origin.check.type, config::CheckType::https);
    const auto& cache = targets[1];
    EXPECT_EQ(cache.kind, report::TargetKind::server);
    EXPECT_EQ(cache.label(), "eu-cache1");
    EXPECT_EQ(cache.endpoint.to_string(), "127.0.1.2:9999");
    EXPECT_EQ(cache.check.path, "/healthz");
}

}  // namespace
}  // namespace udn::probe::service
