// Boost.Beast implementation of HttpServer; see http_server.hpp.
#include "common/runtime/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <strings.h>
#include <thread>

#include "common/runtime/metrics.hpp"
#include "common/runtime/thread_name.hpp"

namespace udn::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
    }
    return {};
}

HttpResponse HttpResponse::text(int status, std::string body) {
    return HttpResponse{status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

HttpResponse HttpResponse::json(int status, std::string body) {
    return HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

DecodedPath percent_decode(std::string_view text) {
    DecodedPath result;
    result.path.reserve(text.size());
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            result.path += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return {};
        const int high = hex(text[i + 1]);
        const int low = hex(text[i + 2]);
        if (high < 0 || low < 0) return {};
        result.path += static_cast<char>(high * 16 + low);
        i += 2;
    }
    result.ok = true;
    return result;
}

struct Route {
    std::string method;
    std::string prefix;
    HttpHandler handler;
};

struct HttpServer::Impl {
    Impl(HttpServerOptions opts, Registry& registry)
        : options(std::move(opts)),
          metrics(registry),
          requests(registry.counter("udn_http_requests_total", "HTTP requests answered, by listener",
                                    {{"listener", options.name}})) {}

    HttpServerOptions options;
    Registry& metrics;
    Counter& requests;
    std::vector<Route> routes;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::uint64_t> served{0};
    std::uint16_t bound_port = 0;
    bool started = false;
    // Declared after everything the sessions touch, so sessions die first.
    std::optional<asio::io_context> io;
    std::optional<tcp::acceptor> acceptor;
    std::thread thread;

    HttpResponse dispatch(const HttpRequest& request) const;
    void accept();
};

namespace {

bool method_matches(const std::string& route_method, const std::string& method) {
    return route_method == "*" || route_method == method || (route_method == "GET" && method == "HEAD");
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
        server_.connections.fetch_add(1, std::memory_order_relaxed);
        beast::error_code ignored;
        const auto endpoint = stream_.socket().remote_endpoint(ignored);
        if (!ignored) remote_ = endpoint.address().to_string();
    }
    ~Session() { server_.connections.fetch_sub(1, std::memory_order_relaxed); }

    void read() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->header_limit(16 * 1024);
        stream_.expires_after(std::chrono::milliseconds(server_.options.timeout_ms));
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
    }

private:
    void on_read(beast::error_code error) {
        if (error == http::error::end_of_stream || error == beast::error::timeout || error == asio::error::eof) {
            return close();
        }
        if (error) {
            // A malformed or oversized request gets a 400 and the connection is closed.
            auto bad = HttpResponse::text(400, "bad request: " + error.message() + "\n");
            return write(std::move(bad), 11, false, false);
        }
        auto& message = parser_->get();
        HttpRequest request;
        request.method = std::string{message.method_string()};
        request.target = std::string{message.target()};
        const auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string::npos) request.query = request.target.substr(question + 1);
        for (const auto& field : message) {
            request.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
        }
        request.body = std::move(message.body());
        request.remote_address = remote_;
        HttpResponse response = server_.dispatch(request);
        write(std::move(response), message.version(), message.keep_alive(), request.method == "HEAD");
    }

    void write(HttpResponse response, unsigned version, bool keep_alive, bool head) {
        server_.served.fetch_add(1, std::memory_order_relaxed);
        server_.requests.add();
        auto reply = std::make_shared<http::response<http::string_body>>();
        reply->version(version);
        reply->result(static_cast<unsigned>(response.status));
        for (auto& [name, value] : response.headers) reply->insert(name, value);
        reply->keep_alive(keep_alive);
        // RFC 9110 8.6: no Content-Length on 1xx/204, and on a 304 only the would-be 200's length,
        // which we do not know here, so none at all.
        const bool bodiless_status = response.status < 200 || response.status == 204 || response.status == 304;
        if (!bodiless_status) reply->content_length(response.body.size());
        if (!head && !bodiless_status) reply->body() = std::move(response.body);
        stream_.expires_after(std::chrono::milliseconds(server_.options.timeout_ms));
        http::async_write(stream_, *reply, [self = shared_from_this(), reply, keep_alive](beast::error_code error, std::size_t) {
            if (error || !keep_alive) return self->close();
            self->read();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    HttpServer::Impl& server_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string remote_;
};

}  // namespace

HttpResponse HttpServer::Impl::dispatch(const HttpRequest& request) const {
    const Route* best = nullptr;
    for (const auto& route : routes) {
        if (!method_matches(route.method, request.method) || !request.path.starts_with(route.prefix)) continue;
        if (best == nullptr || route.prefix.size() > best->prefix.size()) best = &route;
    }
    if (best == nullptr && options.builtin_routes && (request.method == "GET" || request.method == "HEAD")) {
        if (request.path == "/metrics") {
            return HttpResponse{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                                metrics.render_prometheus()};
        }
        if (request.path == "/healthz") return HttpResponse::text(200, "ok\n");
    }
    if (best == nullptr) return HttpResponse::text(404, "not found: " + request.path + "\n");
    try {
        return best->handler(request);
    } catch (const std::exception& error) {
        spdlog::error("{} handler for {} {} failed: {}", options.name, request.method, request.path, error.what());
        return HttpResponse::text(500, "internal error\n");
    }
}

void HttpServer::Impl::accept() {
    acceptor->async_accept([this](beast::error_code error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor->is_open()) return;
        if (!error) {
            if (connections.load(std::memory_order_relaxed) >= options.max_connections) {
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                std::make_shared<Session>(std::move(socket), *this)->read();
            }
        }
        accept();
    });
}

HttpServer::HttpServer(HttpServerOptions options, Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::add_route(std::string method, std::string path_prefix, HttpHandler handler) {
    if (impl_->started) throw std::logic_error("HttpServer::add_route after start()");
    impl_->routes.push_back(Route{std::move(method), std::move(path_prefix), std::move(handler)});
}

void HttpServer::start() {
    if (impl_->started) return;
    auto& impl = *impl_;
    impl.io.emplace(1);
    const auto where = impl.options.address + ":" + std::to_string(impl.options.port);
    try {
        const tcp::endpoint endpoint{asio::ip::make_address(impl.options.address), impl.options.port};
        impl.acceptor.emplace(*impl.io);
        impl.acceptor->open(endpoint.protocol());
        impl.acceptor->set_option(asio::socket_base::reuse_address(true));
        impl.acceptor->bind(endpoint);
        impl.acceptor->listen(asio::socket_base::max_listen_connections);
        impl.bound_port = impl.acceptor->local_endpoint().port();
    } catch (const std::exception& error) {
        impl.acceptor.reset();
        impl.io.reset();
        throw std::runtime_error("cannot listen for " + impl.options.name + " HTTP on " + where + ": " + error.what());
    }
    impl.metrics.gauge_callback("udn_http_connections", "Open HTTP connections, by listener",
                                {{"listener", impl.options.name}},
                                [&impl] { return static_cast<double>(impl.connections.load()); });
    impl.started = true;
    impl.accept();
    impl.thread = std::thread([&impl] {
        name_this_thread("udn-http-" + impl.options.name);
        impl.io->run();
    });
}

void HttpServer::stop() {
    auto& impl = *impl_;
    if (!impl.io) return;
    asio::post(*impl.io, [&impl] {
        beast::error_code ignored;
        impl.acceptor->close(ignored);
    });
    impl.io->stop();
    if (impl.thread.joinable()) impl.thread.join();
    impl.acceptor.reset();
    impl.io.reset();  // destroys pending handlers and with them every session
    // The registry may outlive us: keep its callback from reading freed memory.
    impl.metrics.gauge_callback("udn_http_connections", "Open HTTP connections, by listener",
                                {{"listener", impl.options.name}}, [] { return 0.0; });
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }
std::size_t HttpServer::open_connections() const { return impl_->connections.load(); }
std::uint64_t HttpServer::requests_served() const { return impl_->served.load(); }

}  // namespace udn::runtime
