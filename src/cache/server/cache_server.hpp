// A running cache: N workers, each with its own event loop and its own SO_REUSEPORT listening
// socket on the HTTP port (the kernel spreads connections), plus the admin listener on worker
// 0. Shared state lives in Context. Start-up errors (address in use, bad directory) throw.
#pragma once
#include <memory>
#include <thread>
#include <vector>

#include "cache/server/context.hpp"

namespace udn::cache::server {

class CacheServer {
public:
    CacheServer(Settings settings, std::shared_ptr<const RouteTable> routes);
    ~CacheServer();
    CacheServer(const CacheServer&) = delete;
    CacheServer& operator=(const CacheServer&) = delete;

    // Binds the listeners (throws on failure) and starts the worker threads.
    void start();
    // Stops accepting, ends the event loops, flushes the access log. Idempotent.
    void stop();
    void replace_routes(std::shared_ptr<const RouteTable> routes) { context_->routes.replace(std::move(routes)); }
    // New HTTPS connections use `certificates`; open ones keep theirs.
    void replace_certificates(std::shared_ptr<const tls::CertificateSet> certificates) {
        context_->certificates.replace(std::move(certificates));
    }

    std::uint16_t http_port() const { return http_port_; }
    std::uint16_t admin_port() const { return admin_port_; }
    std::uint16_t https_port() const { return https_port_; }
    Context& context() { return *context_; }

private:
    struct Worker;
    std::unique_ptr<Context> context_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
    std::unique_ptr<Worker> log_worker_;  // only its loop and timer: flushes the access log
    std::thread log_thread_;
    std::uint16_t http_port_ = 0;
    std::uint16_t admin_port_ = 0;
    std::uint16_t https_port_ = 0;
    bool started_ = false;
};

}  // namespace udn::cache::server
