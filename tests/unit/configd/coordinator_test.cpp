// The push decision rule, the route the tool computes from a configuration, and the version
// renumbering of a rollback.
#include <gtest/gtest.h>

#include "configd/admin/verbs.hpp"
#include "configd/push/coordinator.hpp"
#include "configd/push/route.hpp"

namespace udn::configd {
namespace {

using transport::NodeResult;

std::map<std::string, NodeResult> results(std::initializer_list<std::pair<const char*, const char*>> states) {
    std::map<std::string, NodeResult> out;
    for (const auto& [node, state] : states) out[node] = NodeResult{node, state, 2, state == std::string("rejected") ? "bad signature" : ""};
    return out;
}

TEST(DecisionTest, CommitsWhenEveryNodeIsPreparedOrDown) {
    std::string why;
    EXPECT_TRUE(push::should_commit({"a", "b", "c"}, results({{"a", "prepared"}, {"b", "prepared"}, {"c", "unreachable"}}), why));
}

TEST(DecisionTest, AbortsOnAnyRejectionOrFailureOrSilence) {
    std::string why;
    EXPECT_FALSE(push::should_commit({"a", "b"}, results({{"a", "prepared"}, {"b", "rejected"}}), why));
    EXPECT_NE(why.find("b rejected: bad signature"), std::string::npos);
    EXPECT_FALSE(push::should_commit({"a", "b"}, results({{"a", "prepared"}, {"b", "failed"}}), why));
    EXPECT_FALSE(push::should_commit({"a", "b"}, results({{"a", "prepared"}}), why));  // b never answered
}

TEST(DecisionTest, AbortsWhenNobodyWasReached) {
    std::string why;
    EXPECT_FALSE(push::should_commit({"a", "b"}, results({{"a", "unreachable"}, {"b", "unreachable"}}), why));
    EXPECT_EQ(why, "no node could be reached");
}

config::Server server(const std::string& name, const std::string& address, std::vector<std::string> children,
                      bool configd = true) {
    config::Server out;
    out.name = name;
    out.addresses.push_back(*net::IpAddress::parse(address));
    out.roles = configd ? std::vector<config::Role>{config::Role::configd} : std::vector<config::Role>{config::Role::dns};
    out.forwards_to = std::move(children);
    return out;
}

TEST(RouteTest, FollowsMastersAndForwardsTo) {
    config::Config config;
    config.ports.configd = 6000;
    config.push.masters = {"m"};
    config::Pop pop;
    pop.servers = {server("m", "127.0.0.1", {"a", "b"}), server("a", "127.0.0.2", {"c"}), server("b", "127.0.0.3", {}),
                   server("c", "127.0.0.4", {}), server("lonely", "127.0.0.5", {}), server("dns", "127.0.0.6", {}, false)};
    config.pops.push_back(pop);
    const auto plan = push::plan_route(config);
    EXPECT_EQ(plan.nodes, (std::vector<std::string>{"m", "a", "c", "b"}));
    EXPECT_EQ(plan.outside_tree, (std::vector<std::string>{"lonely"}));
    ASSERT_EQ(plan.masters.size(), 1u);
    EXPECT_EQ(plan.masters[0].port, 6000);
    EXPECT_EQ(plan.masters[0].children[0].children[0].address, "127.0.0.4");
    const auto chain = push::ancestors(config, "c");
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0]->name, "a");
    EXPECT_EQ(chain[1]->name, "m");
    EXPECT_TRUE(push::ancestors(config, "m").empty());
}

TEST(RollbackTest, RenumbersOnlyTheTopLevelVersion) {
    EXPECT_EQ(admin::with_version("# c\nversion = 3\n\n[push]\nversion = 9\n", 7), "# c\nversion = 7\n\n[push]\nversion = 9\n");
    EXPECT_EQ(admin::with_version("version=3 # note\n", 12), "version=12 # note\n");
    EXPECT_FALSE(admin::with_version("[network]\nversion = 3\n", 4));
    EXPECT_FALSE(admin::with_version("name = 1\n", 4));
}

}  // namespace
}  // namespace udn::configd
