// A small network built in code for the DNS unit tests: three POPs (each a dns+probe server
// and a cache), two customers (a dynamic name on two origins plus a backup, static names).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace udn::dns::testing {

inline net::IpAddress ip(std::string_view text) { return *net::IpAddress::parse(text); }

inline config::Server make_server(std::string name, std::string pop, std::vector<std::string> addresses,
                                  std::vector<config::Role> roles) {
    config::Server server;
    server.name = std::move(name);
    server.pop = std::move(pop);
    for (const auto& a : addresses) server.addresses.push_back(ip(a));
    server.roles = std::move(roles);
    return server;
}

inline config::Config make_config() {
    using config::Role;
    config::Config c;
    c.version = 7;
    c.network.name = "test";
    c.network.domain = "udn.example";
    c.network.cdn_zone = "cdn.example";
    c.network.hostmaster = "hostmaster@udn.example";
    c.network.report_key = std::string(64, '5');  // as every loaded configuration has one
    const char* pops[] = {"eu", "us", "ap"};
    for (int i = 0; i < 3; ++i) {
        config::Pop pop;
        pop.name = pops[i];
        pop.region = pops[i];
        const auto base = "127.0." + std::to_string(i + 1) + ".";
        pop.servers.push_back(make_server(std::string(pops[i]) + "-ns1", pops[i], {base + "1"},
                                          {Role::dns, Role::probe, Role::configd}));
        pop.servers.push_back(make_server(std::string(pops[i]) + "-cache1", pops[i], {base + "2", "fd00::" + std::to_string(i + 2)},
                                          {Role::cache}));
        c.pops.push_back(pop);
    }
    c.pops[0].servers.push_back(make_server("eu-log1", "eu", {"127.0.1.3"}, {Role::logs}));

    config::Customer acme;
    acme.name = "acme";
    acme.zones = {"acme.example"};
    for (int i = 1; i <= 3; ++i) {
        config::Origin origin;
        origin.name = "m" + std::to_string(i);
        origin.address = ip("192.0.2." + std::to_string(i));
        origin.backup = i == 3;
        acme.origins.push_back(origin);
    }
    config::Domain www;
    www.name = "www.acme.example";
    www.kind = config::DomainKind::dynamic_name;
    www.origins = {"m1", "m2", "m3"};
    www.policy.ttl_s = 20;
    acme.domains.push_back(www);
    config::Domain cdn;
    cdn.name = "acme.cdn.example";
    cdn.kind = config::DomainKind::static_name;
    cdn.origins = {"m1"};
    acme.domains.push_back(cdn);
    auto add_record = [&](std::string name, std::string type, std::string value) {
        config::Record r;
        r.name = std::move(name);
        r.type = std::move(type);
        r.value = std::move(value);
        r.ttl_s = 300;
        acme.records.push_back(r);
    };
    add_record("acme.example", "TXT", "v=spf1 -all");
    add_record("acme.example", "MX", "10 mail.acme.example");
    add_record("mail.acme.example", "A", "192.0.2.25");
    add_record("alias.acme.example", "CNAME", "www.acme.example");
    add_record("outside.acme.example", "CNAME", "elsewhere.example.net");
    add_record("deep.sub.acme.example", "TXT", "\"hello\" \"world\"");
    add_record("big.acme.example", "TXT", std::string(250, 'a'));
    add_record("big.acme.example", "TXT", std::string(250, 'b'));
    add_record("big.acme.example", "TXT", std::string(250, 'c'));
    add_record("delegated.acme.example", "NS", "ns.delegated.acme.example");
    add_record("ns.delegated.acme.example", "A", "192.0.2.53");
    c.customers.push_back(acme);

    config::CoverageZone coverage;
    coverage.client = *net::Cidr::parse("10.0.0.0/8");
    coverage.pop = "us";
    c.coverage.push_back(coverage);
    return c;
}

}  // namespace udn::dns::testing
