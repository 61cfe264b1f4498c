#include "common/config/loader.hpp"
#include "common/config/schema.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace udn::config {
namespace {

const std::string demo_path = std::string{UDN_SOURCE_DIR} + "/examples/demo.toml";

TEST(ConfigLoader, LoadsTheDemoNetwork) {
    const auto result = load_file(demo_path);
    ASSERT_TRUE(result.ok()) << result.error_text();
    const auto& config = *result.config;
    EXPECT_EQ(config.network.domain, "udn.example");
    EXPECT_EQ(config.pops.size(), 3u);
    EXPECT_EQ(config.content_hash.size(), 64u);
    const auto* server = config.find_server("us-cache1");
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(server->pop, "us-east");
    EXPECT_TRUE(server->has_role(Role::cache));
    EXPECT_EQ(server->addresses.at(0).to_string(), "127.0.2.2");
    const auto* acme = config.find_customer("acme");
    ASSERT_NE(acme, nullptr);
    EXPECT_EQ(acme->domains.at(0).policy.persistence_s, 300u);
    EXPECT_EQ(acme->origins.at(1).check.expect_substring, "ok");
    EXPECT_EQ(acme->domains.at(1).kind, DomainKind::static_name);
}

TEST(ConfigLoader, DefaultsComeFromTheStruct) {
    const auto result = load_file(demo_path);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.config->ports.configd, Ports{}.configd);
    EXPECT_EQ(result.config->customers.at(1).domains.at(0).policy.ttl_s, Policy{}.ttl_s);
}

TEST(ConfigLoader, HashChangesWithContent) {
    std::ifstream file(demo_path);
    std::stringstream text;
    text << file.rdbuf();
    const auto first = load_string(text.str(), "a.toml");
    const auto same = load_string(text.str(), "b.toml");
    const auto edited = load_string(text.str() + "# a comment\n", "a.toml");
    ASSERT_TRUE(first.ok() && same.ok() && edited.ok());
    EXPECT_EQ(first.config->content_hash, same.config->content_hash);
    EXPECT_NE(first.config->content_hash, edited.config->content_hash);
}

TEST(ConfigLoader, SyntaxErrorsHaveALine) {
    const auto result = load_string("version = 1\n[network\nname = 1\n", "broken.toml");
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].line, 2);
    EXPECT_NE(result.errors[0].to_string().find("broken.toml:2: TOML syntax error"), std::string::npos);
}

TEST(ConfigLoader, MissingFileIsADiagnosticNotACrash) {
    const auto result = load_file("/nonexistent/udn.toml");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.errors[0].what.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace udn::config

namespace udn::config {
namespace {

TEST(ConfigReference, DocsMatchTheSchema) {
    std::ifstream file(std::string{UDN_SOURCE_DIR} + "/docs/configuration.md");
    std::stringstream text;
    text << file.rdbuf();
    const std::string marker = "do not edit by hand below this line -->\n";
    const auto at = text.str().find(marker);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(text.str().substr(at + marker.size()), schema::render_reference())
        << "docs/configuration.md is stale: regenerate its reference with `udn check --schema`";
}

}  // namespace
}  // namespace udn::config
