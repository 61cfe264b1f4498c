// What `udn up` and `udn node` would run for a configuration, and the endpoints.json it yields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "up/endpoints.hpp"
#include "up/plan.hpp"

namespace udn::up {
namespace {

using config::Role;

config::Config two_pop_config() {
    config::Config config;
    config.network.name = "t";
    config.ports.dns = 5353;
    config.ports.dns_admin = 9000;
    config::Pop eu;
    eu.name = "eu";
    config::Server ns;
    ns.name = "eu-ns1";
    ns.pop = "eu";
    ns.addresses = {*net::IpAddress::parse("127.0.1.1")};
    ns.roles = {Role::dns, Role::configd};
    config::Server cache;
    cache.name = "eu-cache1";
    cache.pop = "eu";
    cache.addresses = {*net::IpAddress::parse("127.0.1.2")};
    cache.roles = {Role::cache};
    eu.servers = {ns, cache};
    config.pops = {eu};
    config::Customer acme;
    acme.name = "acme";
    config::Origin origin;
    origin.name = "m1";
    origin.address = *net::IpAddress::parse("127.0.9.1");
    origin.port = 8081;
    acme.origins = {origin};
    config::Domain www;
    www.name = "www.acme.example";
    www.origins = {"m1"};
    config::Domain images;
    images.name = "acme.cdn.example";
    images.kind = config::DomainKind::static_name;
    images.origins = {"m1"};
    acme.domains = {www, images};
    config.customers = {acme};
    return config;
}

TEST(UpPlan, NetworkHasEveryRoleOfEveryServerAndEveryOrigin) {
    const auto config = two_pop_config();
    const PlanInputs inputs{"/s", "/site", [](std::string_view name) { return name != "cache"; }};
    const auto processes = plan_network(config, inputs);
    ASSERT_EQ(processes.size(), 4u);
    const auto& dns = processes[0];
    EXPECT_EQ(dns.name, "eu-ns1/dns");
    EXPECT_EQ(dns.pop, "eu");
    EXPECT_EQ(dns.admin, "127.0.1.1:9000");
    EXPECT_EQ(dns.args, (std::vector<std::string>{"dns", "--config", "/s/nodes/eu-ns1/configd/current.toml", "--server",
                                                   "eu-ns1", "--state-dir", "/s/nodes/eu-ns1"}));
    EXPECT_EQ(dns.log_path, "/s/logs/eu-ns1-dns.log");
    EXPECT_EQ(dns.ports.front(), (std::pair<std::string, std::uint16_t>{"dns", 5353}));
    EXPECT_TRUE(dns.available);
    EXPECT_EQ(processes[1].role, "configd");
    EXPECT_FALSE(processes[2].available);  // cache: not in this build
    const auto& origin = processes[3];
    EXPECT_EQ(origin.role, "origin");
    EXPECT_EQ(origin.customer, "acme");
    EXPECT_EQ(origin.args, (std::vector<std::string>{"origin", "--root", "/site", "--listen", "127.0.9.1:8081", "--name", "m1"}));
}

TEST(UpPlan, NodeRunsOnlyItsServersRolesInItsOwnStateDir) {
    const auto config = two_pop_config();
    const auto processes = plan_node(config, "eu-ns1", {"/n", {}, {}});
    ASSERT_EQ(processes.size(), 2u);
    EXPECT_EQ(processes[0].args[2], "/n/configd/current.toml");
    EXPECT_EQ(processes[0].args[6], "/n");
    EXPECT_TRUE(processes[0].log_path.empty());  // node: children log to the node's own stderr
    try {
        plan_node(config, "nope", {"/n", {}, {}});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string{error.what()}.find("eu-ns1, eu-cache1"), std::string::npos);
    }
}

TEST(UpEndpoints, ListsProcessesPidsAndDomains) {
    const auto config = two_pop_config();
    const auto processes = plan_network(config, {"/s", "/site", {}});
    const auto text = render_endpoints_json({&config, "/c.toml", "/s", "/k.key", &processes, {11, 0, 13, 14}});
    const auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["state_dir"], "/s");
    EXPECT_EQ(json["admin_key"], "/k.key");
    EXPECT_EQ(json["dns_servers"], nlohmann::json::array({"127.0.1.1:5353"}));
    EXPECT_EQ(json["caches"], nlohmann::json::array({"127.0.1.2:80"}));
    ASSERT_EQ(json["processes"].size(), 4u);
    EXPECT_EQ(json["processes"][0]["pid"], 11);
    EXPECT_EQ(json["processes"][0]["metrics"], "http://127.0.1.1:9000/metrics");
    EXPECT_TRUE(json["processes"][1]["pid"].is_null());
    EXPECT_EQ(json["processes"][1]["state"], "restarting");
    EXPECT_EQ(json["processes"][3]["origin"], "m1");
    EXPECT_TRUE(json["processes"][3]["server"].is_null());
    EXPECT_EQ(json["domains"][0]["name"], "www.acme.example");
    EXPECT_EQ(json["domains"][0]["kind"], "dynamic");
    EXPECT_EQ(json["domains"][1]["kind"], "static");
}

// Issue 4: a server whose cache tiers run as two processes gets the disk back and the memory
// front, each with its own name, ports, admin endpoint and log.
TEST(UpPlan, TwoProcessCacheRunsTheDiskBackAndTheMemoryFront) {
    auto config = two_pop_config();
    config.ports.cache_backend = 8181;
    config.ports.cache_backend_admin = 9281;
    config.pops[0].servers[1].cache_tiers = config::CacheTiers::two_process;
    const auto processes = plan_network(config, {"/s", "/site", {}});
    ASSERT_EQ(processes.size(), 5u);
    const auto& back = processes[2];
    const auto& front = processes[3];
    EXPECT_EQ(back.name, "eu-cache1/cache-disk");
    EXPECT_EQ(back.role, "cache");
    EXPECT_EQ(back.admin, "127.0.1.2:9281");
    ASSERT_EQ(back.ports.size(), 1u);
    EXPECT_EQ(back.ports[0], (std::pair<std::string, std::uint16_t>{"backend", 8181}));
    ASSERT_GE(back.args.size(), 2u);
    EXPECT_EQ(back.args[0], "cache");
    EXPECT_EQ(std::vector<std::string>(back.args.end() - 2, back.args.end()), (std::vector<std::string>{"--tier", "disk"}));
    EXPECT_EQ(back.log_path, std::filesystem::path("/s/logs/eu-cache1-cache-disk.log"));
    EXPECT_EQ(front.name, "eu-cache1/cache");
    EXPECT_EQ(std::vector<std::string>(front.args.end() - 2, front.args.end()), (std::vector<std::string>{"--tier", "memory"}));
    EXPECT_EQ(front.log_path, std::filesystem::path("/s/logs/eu-cache1-cache.log"));
    EXPECT_NE(front.admin, back.admin);

    const auto node = plan_node(config, "eu-cache1", {"/n", {}, {}});
    ASSERT_EQ(node.size(), 2u);
    EXPECT_EQ(node[0].name, "eu-cache1/cache-disk");
    EXPECT_EQ(node[1].name, "eu-cache1/cache");
}

}  // namespace
}  // namespace udn::up
