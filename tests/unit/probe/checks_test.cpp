#include "probe/service/checks.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include "fake_tcp_server.hpp"

namespace udn::probe::service {
namespace {

using testing::FakeTcpServer;

std::string http_reply(int status, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

Target target_at(const udn::net::Endpoint& endpoint, config::CheckType type) {
    Target target;
    target.name = "origin-1";
    target.customer = "acme";
    target.endpoint = endpoint;
    target.host = "www.acme.example";
    target.check.type = type;
    target.check.path = "/health";
    target.check.timeout_ms = 2000;
    return target;
}

class ChecksTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    static void TearDownTestSuite() { curl_global_cleanup(); }
};

TEST_F(ChecksTest, HttpOkWithExpectedContentAndTimingBreakdown) {
    FakeTcpServer server(http_reply(200, "all ok"), true);
    auto target = target_at(server.endpoint(), config::CheckType::http);
    target.check.expect_substring = "ok";
    const auto outcome = run_check(target);
    EXPECT_TRUE(outcome.ok()) << outcome.detail;
    EXPECT_EQ(outcome.code, 200);
    EXPECT_GT(outcome.timing.total_us, 0u);
    EXPECT_GE(outcome.timing.first_byte_us, outcome.timing.connect_us);
    EXPECT_GE(outcome.timing.total_us, outcome.timing.first_byte_us);
    EXPECT_EQ(outcome.timing.tls_us, 0u);
    EXPECT_NE(server.last_request().find("GET /health HTTP/1.1"), std::string::npos);
    EXPECT_NE(server.last_request().find("Host: www.acme.example"), std::string::npos);
}

TEST_F(ChecksTest, HttpWrongContentIsDownEvenWith200) {
    FakeTcpServer server(http_reply(200, "maintenance page"), true);
    auto target = target_at(server.endpoint(), config::CheckType::http);
    target.check.expect_substring = "ok";
    const auto outcome = run_check(target);
    EXPECT_EQ(outcome.result, report::CheckResult::content_mismatch);
    EXPECT_EQ(outcome.code, 200);
}

TEST_F(ChecksTest, HttpChecksDigestAndStatus) {
    FakeTcpServer server(http_reply(200, "ok\n"), true);
    auto target = target_at(server.endpoint(), config::CheckType::http);
    target.check.expect_sha256 = "dc51b8c96c2d745df3bd5590d990230a482fd247123599548e0632fdbf97fc22";
    EXPECT_TRUE(run_check(target).ok());
    target.check.expect_sha256 = std::string(64, 'a');
    EXPECT_EQ(run_check(target).result, report::CheckResult::content_mismatch);

    FakeTcpServer failing(http_reply(503, "ok"), true);
    const auto outcome = run_check(target_at(failing.endpoint(), config::CheckType::http));
    EXPECT_EQ(outcome.result, report::CheckResult::bad_status);
    EXPECT_EQ(outcome.code, 503);
}

TEST_F(ChecksTest, RefusedConnectionsFailEveryTcpBasedCheck) {
    udn::net::Endpoint closed;
    {
        FakeTcpServer server("", false);
        closed = server.endpoint();
    }
    EXPECT_EQ(run_check(target_at(closed, config::CheckType::http)).result, report::CheckResult::connect_failed);
    EXPECT_EQ(run_check(target_at(closed, config::CheckType::tcp)).result, report::CheckResult::connect_failed);
    EXPECT_EQ(run_check(target_at(closed, config::CheckType::ftp)).result, report::CheckResult::connect_failed);
}

TEST_F(ChecksTest, TcpConnects) {
    FakeTcpServer server("", false);
    const auto outcome = run_check(target_at(server.endpoint(), config::CheckType::tcp));
    EXPECT_TRUE(outcome.ok()) << outcome.detail;
    EXPECT_GT(outcome.timing.connect_us, 0u);
}

TEST_F(ChecksTest, FtpWantsA220Greeting) {
    FakeTcpServer ready("220-Welcome\r\n220 ready\r\n", false);
    const auto outcome = run_check(target_at(ready.endpoint(), config::CheckType::ftp));
    EXPECT_TRUE(outcome.ok()) << outcome.detail;
    EXPECT_EQ(outcome.code, 220);

    FakeTcpServer busy("421 too many users\r\n", false);
    const auto refused = run_check(target_at(busy.endpoint(), config::CheckType::ftp));
    EXPECT_EQ(refused.result, report::CheckResult::bad_status);
    EXPECT_EQ(refused.code, 421);
}

TEST_F(ChecksTest, SilentServerTimesOut) {
    FakeTcpServer silent("", false);  // accepts, says nothing, closes
    auto target = target_at(silent.endpoint(), config::CheckType::ftp);
    target.check.timeout_ms = 300;
    EXPECT_FALSE(run_check(target).ok());
}

}  // namespace
}  // namespace udn::probe::service
