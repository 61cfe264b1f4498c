// A small HTTP/1.1 server for admin endpoints: GET /metrics (Prometheus text), GET /healthz,
// and routes that roles register (method + path prefix -> handler). It runs on its own thread
// with bounded connections, a per-request timeout and a body limit, so a slow or hostile client
// cannot stall the role. Boost.Beast stays in the .cpp. Also serves the demo origin.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udn::runtime {

class Registry;

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // upper case, as sent
    std::string target;  // raw request target, e.g. "/purge?url=..."
    std::string path;    // target up to '?', still percent-encoded
    std::string query;   // after '?', without it
    HttpHeaders headers;
    std::string body;
    std::string remote_address;

    // First header with this name (case-insensitive), empty if absent.
    std::string_view header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    HttpHeaders headers;  // Content-Length is set by the server
    std::string body;

    static HttpResponse text(int status, std::string body);          // text/plain
    static HttpResponse json(int status, std::string body);          // application/json
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;               // 0: any free port (tests)
    std::string name = "admin";           // label of this listener's metrics
    std::size_t max_connections = 64;     // further connections are closed at once
    std::uint32_t timeout_ms = 10000;     // to read a request or write a response
    std::size_t max_body_bytes = 1 << 20;
    bool builtin_routes = true;           // GET /metrics and GET /healthz
};

class HttpServer {
public:
    // The registry receives udn_http_requests_total and udn_http_connections for this listener
    // and is what GET /metrics renders; it must outlive the server.
    HttpServer(HttpServerOptions options, Registry& registry);
    ~HttpServer();  // stops
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Before start() only. `method` "GET" also answers HEAD (body dropped), "*" any method.
    // The longest matching prefix wins; registered routes win over the built-in ones.
    void add_route(std::string method, std::string path_prefix, HttpHandler handler);

    // Binds (throws std::runtime_error naming the address on failure) and starts the thread.
    void start();
    void stop();

    std::uint16_t port() const;  // the bound port, after start()
    std::size_t open_connections() const;
    std::uint64_t requests_served() const;

    struct Impl;  // in the .cpp (public only so that its connection sessions can name it)

private:
    std::unique_ptr<Impl> impl_;
};

// "/a%2Fb" -> "/a/b"; nullopt-like empty result with ok=false on a malformed escape.
struct DecodedPath {
    bool ok = false;
    std::string path;
};
DecodedPath percent_decode(std::string_view text);

}  // namespace udn::runtime
