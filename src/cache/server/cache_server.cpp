// Workers, listeners and connection limits of the cache; see cache_server.hpp.
#include "cache/server/cache_server.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "cache/server/connection.hpp"
#include "common/runtime/thread_name.hpp"

namespace udn::cache::server {

struct CacheServer::Worker {
    asio::io_context io{1};
    std::unique_ptr<tcp::acceptor> http;
    std::unique_ptr<tcp::acceptor> admin;
    std::unique_ptr<tcp::acceptor> https;
    std::unique_ptr<asio::steady_timer> flush_timer;
};

namespace {

std::unique_ptr<tcp::acceptor> listen_on(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port) {
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    if (reuse_port) {
        const int one = 1;
        if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            throw std::runtime_error("cannot set SO_REUSEPORT");
        }
    }
    boost::system::error_code ec;
    acceptor->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                                 std::to_string(endpoint.port()) + ": " + ec.message() +
                                 " (is another process using the port? see ports in the config)");
    }
    acceptor->listen(1024);
    return acceptor;
}

awaitable<void> refuse(std::shared_ptr<GuardedSocket> socket) {
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n"
        "Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections, try again\n";
    socket->expire_after(std::chrono::milliseconds(1000));
    boost::system::error_code ec;
    co_await asio::async_write(socket->socket, asio::buffer(busy.data(), busy.size()), asio::redirect_error(use_awaitable, ec));
    socket->finish();
}

awaitable<void> accept_loop(Context& context, tcp::acceptor& acceptor, Port port) {
    while (true) {
        boost::system::error_code ec;
        auto socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) continue;  // EMFILE and friends: keep serving the connections we have
        socket.set_option(tcp::no_delay(true), ec);
        auto guarded = make_guarded_socket(std::move(socket));
        if (port != Port::admin) {
            if (context.metrics.connections_open.load(std::memory_order_relaxed) >=
                static_cast<std::int64_t>(context.settings.max_connections)) {
                context.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
                if (port == Port::http) {
                    asio::co_spawn(acceptor.get_executor(), refuse(std::move(guarded)), asio::detached);
                } else {
                    guarded->finish();  // a plain-text 503 means nothing to a TLS client
                }
                continue;
            }
            context.metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
        }
        std::shared_ptr<const tls::CertificateSet> certificates;
        if (port == Port::https) {
            certificates = context.certificates.get();
            guarded->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(guarded->socket, certificates->initial_context());
        }
        asio::co_spawn(acceptor.get_executor(), serve_connection(context, std::move(guarded), port, std::move(certificates)),
                       asio::detached);
    }
}

awaitable<void> flush_loop(Context& context, asio::steady_timer& timer) {
    while (true) {
        // Often, so that each flush is short (~1.5 MB of lines at 100k requests/s).
        timer.expires_after(std::chrono::milliseconds(100));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        if (context.access_log) context.access_log->flush(unix_now_s());
    }
}

}  // namespace

CacheServer::CacheServer(Settings settings, std::shared_ptr<const RouteTable> routes)
    : context_(std::make_unique<Context>(std::move(settings), std::move(routes))) {}

CacheServer::~CacheServer() { stop(); }

void CacheServer::start() {
    const auto& settings = context_->settings;
    const auto address = asio::ip::make_address(settings.listen_address);
    const auto worker_count = std::max<std::size_t>(1, settings.threads);
    std::uint16_t http_port = settings.http_port;
    std::uint16_t https_port = settings.https_port;
    if (settings.https && !context_->certificates.get()) throw std::runtime_error("HTTPS without certificates");
    for (std::size_t i = 0; i < worker_count; ++i) {
        auto worker = std::make_unique<Worker>();
        worker->http = listen_on(worker->io, tcp::endpoint(address, http_port), worker_count > 1);
        http_port = worker->http->local_endpoint().port();  // later workers share the port chosen first
        if (settings.https) {
            worker->https = listen_on(worker->io, tcp::endpoint(address, https_port), worker_count > 1);
            https_port = worker->https->local_endpoint().port();
        }
        if (i == 0) {
            worker->admin = listen_on(worker->io, tcp::endpoint(address, settings.admin_port), false);
            admin_port_ = worker->admin->local_endpoint().port();
        }
        workers_.push_back(std::move(worker));
    }
    http_port_ = http_port;
    https_port_ = settings.https ? https_port : 0;
    for (auto& worker : workers_) {
        asio::co_spawn(worker->io, accept_loop(*context_, *worker->http, Port::http), asio::detached);
        if (worker->https) asio::co_spawn(worker->io, accept_loop(*context_, *worker->https, Port::https), asio::detached);
        if (worker->admin) asio::co_spawn(worker->io, accept_loop(*context_, *worker->admin, Port::admin), asio::detached);
        threads_.emplace_back([io = &worker->io, name = "udn-cache-w" + std::to_string(threads_.size())] {
            runtime::name_this_thread(name);
            io->run();
        });
    }
    // The access log is written from its own thread: at 100k requests/s a second of lines is
    // ~20 MB, and a spool file that fills is fsynced on closing; inside a worker's loop that write
    // stalled every connection of the worker (the 1 KiB benchmark's p99 was 15 ms against 0.7 ms
    // at the median).
    log_worker_ = std::make_unique<Worker>();
    log_worker_->flush_timer = std::make_unique<asio::steady_timer>(log_worker_->io);
    asio::co_spawn(log_worker_->io, flush_loop(*context_, *log_worker_->flush_timer), asio::detached);
    log_thread_ = std::thread([io = &log_worker_->io] {
        // Below the workers: where it shares a core with one (a pinned cache, or as many workers
        // as cores), a flush at 100k requests/s ran for up to 30 ms in one go and every
        // connection of that worker waited (1 KiB hits: p99 27 ms, 2.8 ms with the log off).
        // At nice 19 the worker preempts it whenever it has work; the log takes the idle time.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
        runtime::name_this_thread("udn-cache-log");
        io->run();
    });
    started_ = true;
}

void CacheServer::stop() {
    if (!started_) return;
    started_ = false;
    for (auto& worker : workers_) worker->io.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    if (log_worker_) log_worker_->io.stop();
    if (log_thread_.joinable()) log_thread_.join();
    log_worker_.reset();
    // Kept connections to the disk back belong to the workers' loops: close them while those exist.
    if (context_->backend) context_->backend->clear_pool();
    workers_.clear();  // closes every socket; pending coroutines are destroyed with their loops
    if (context_->disk) context_->disk->drain();
    if (context_->access_log) context_->access_log->close();
}

}  // namespace udn::cache::server
