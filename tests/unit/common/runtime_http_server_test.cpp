// Admin HTTP server: built-in routes, registered routes, HEAD, keep-alive, limits, bad input.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "common/runtime/http_server.hpp"
#include "common/runtime/metrics.hpp"

namespace udn::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Client {
public:
    explicit Client(std::uint16_t port) : socket_(io_) {
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    http::response<http::string_body> request(http::verb verb, std::string target, std::string body = {}) {
        http::request<http::string_body> request{verb, target, 11};
        request.set(http::field::host, "localhost");
        request.body() = std::move(body);
        request.prepare_payload();
        http::write(socket_, request);
        http::response_parser<http::string_body> parser;
        parser.skip(verb == http::verb::head);
        http::read(socket_, buffer_, parser);
        return parser.release();
    }
    std::string raw(std::string_view bytes) {
        asio::write(socket_, asio::buffer(bytes));
        std::string reply;
        beast::error_code error;
        char chunk[4096];
        while (true) {
            const auto n = socket_.read_some(asio::buffer(chunk), error);
            if (error) break;
            reply.append(chunk, n);
        }
        return reply;
    }
    tcp::socket& socket() { return socket_; }

private:
    asio::io_context io_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

class RuntimeHttpServer : public ::testing::Test {
protected:
    Registry registry_;
};

TEST_F(RuntimeHttpServer, ServesHealthzAndMetrics) {
    HttpServer server({}, registry_);
    registry_.counter("udn_test_things_total", "things").add(5);
    server.start();
    ASSERT_NE(server.port(), 0);
    Client client(server.port());
    const auto health = client.request(http::verb::get, "/healthz");
    EXPECT_EQ(health.result_int(), 200);
    EXPECT_EQ(health.body(), "ok\n");
    const auto metrics = client.request(http::verb::get, "/metrics");  // same connection: keep-alive
    EXPECT_EQ(metrics.result_int(), 200);
    EXPECT_NE(metrics.body().find("udn_test_things_total 5"), std::string::npos);
    EXPECT_NE(metrics.body().find("udn_http_requests_total{listener=\"admin\"} 1"), std::string::npos);
    EXPECT_NE(metrics.body().find("udn_http_connections{listener=\"admin\"} 1"), std::string::npos);
}

TEST_F(RuntimeHttpServer, LongestPrefixRouteWinsAndSeesTheRequest) {
    HttpServer server({}, registry_);
    server.add_route("POST", "/purge", [](const HttpRequest& request) {
        return HttpResponse::text(202, "purge " + request.query + " " + request.body + " " +
                                           std::string{request.header("HOST")});
    });
    server.add_route("POST", "/purge/all", [](const HttpRequest&) { return HttpResponse::text(200, "all"); });
    server.start();
    Client client(server.port());
    const auto one = client.request(http::verb::post, "/purge?url=x", "body");
    EXPECT_EQ(one.result_int(), 202);
    EXPECT_EQ(one.body(), "purge url=x body localhost");
    EXPECT_EQ(client.request(http::verb::post, "/purge/all").body(), "all");
    EXPECT_EQ(client.request(http::verb::get, "/purge").result_int(), 404);  // wrong method
    EXPECT_EQ(client.request(http::verb::get, "/nothing").result_int(), 404);
}

TEST_F(RuntimeHttpServer, HeadGetsLengthButNoBody) {
    HttpServer server({}, registry_);
    server.add_route("GET", "/file", [](const HttpRequest&) { return HttpResponse::text(200, "0123456789"); });
    server.start();
    Client client(server.port());
    const auto head = client.request(http::verb::head, "/file");
    EXPECT_EQ(head.result_int(), 200);
    EXPECT_EQ(head[http::field::content_length], "10");
    EXPECT_TRUE(head.body().empty());
    EXPECT_EQ(client.request(http::verb::get, "/file").body(), "0123456789");  // connection still in sync
}

TEST_F(RuntimeHttpServer, NotModifiedHasNoContentLengthAndNoBody) {
    HttpServer server({}, registry_);
    server.add_route("GET", "/same", [](const HttpRequest&) { return HttpResponse{304, {{"ETag", "\"x\""}}, "ignored"}; });
    server.start();
    Client client(server.port());
    const auto reply = client.request(http::verb::get, "/same");
    EXPECT_EQ(reply.result_int(), 304);
    EXPECT_EQ(reply.count(http::field::content_length), 0u);
    EXPECT_EQ(reply["ETag"], "\"x\"");
    EXPECT_EQ(client.request(http::verb::get, "/healthz").body(), "ok\n");  // connection still in sync
}

TEST_F(RuntimeHttpServer, ThrowingHandlerIs500) {
    HttpServer server({}, registry_);
    server.add_route("GET", "/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    server.start();
    Client client(server.port());
    EXPECT_EQ(client.request(http::verb::get, "/boom").result_int(), 500);
}

TEST_F(RuntimeHttpServer, GarbageAndOversizedBodiesGet400AndClose) {
    HttpServerOptions options;
    options.max_body_bytes = 16;
    HttpServer server(options, registry_);
    server.start();
    EXPECT_EQ(Client(server.port()).raw("NOT HTTP AT ALL\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
    const std::string big = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
    EXPECT_EQ(Client(server.port()).raw(big).substr(0, 12), "HTTP/1.1 400");
}

TEST_F(RuntimeHttpServer, ConnectionLimitClosesExtraConnections) {
    HttpServerOptions options;
    options.max_connections = 1;
    HttpServer server(options, registry_);
    server.start();
    Client first(server.port());
    EXPECT_EQ(first.request(http::verb::get, "/healthz").result_int(), 200);
    Client second(server.port());
    EXPECT_EQ(second.raw("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), "");  // closed without an answer
}

TEST_F(RuntimeHttpServer, IdleConnectionTimesOut) {
    HttpServerOptions options;
    options.timeout_ms = 200;
    HttpServer server(options, registry_);
    server.start();
    Client idle(server.port());
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(idle.raw("GET /healthz HTTP/1.1\r\n"), "");  // incomplete request: dropped
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(RuntimeHttpServer, BindFailureNamesTheAddress) {
    HttpServer first({}, registry_);
    first.start();
    HttpServerOptions options;
    options.port = first.port();
    HttpServer second(options, registry_);
    try {
        second.start();
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string{error.what()}.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos);
    }
}

TEST(RuntimePercentDecode, DecodesAndRejectsMalformedEscapes) {
    EXPECT_EQ(percent_decode("/a%2Fb%2e").path, "/a/b.");
    EXPECT_TRUE(percent_decode("/plain").ok);
    EXPECT_FALSE(percent_decode("/bad%2").ok);
    EXPECT_FALSE(percent_decode("/bad%zz").ok);
    EXPECT_FALSE(percent_decode("%").ok);
}

}  // namespace
}  // namespace udn::runtime
