// Client connection loop; see connection.hpp.
#include "cache/server/connection.hpp"

#include <cstring>

#include "cache/http/chunked.hpp"
#include "cache/purge/admin.hpp"
#include "cache/http/syntax.hpp"
#include "cache/server/exchange.hpp"
#include "cache/server/routes.hpp"

namespace udn::cache::server {

namespace {

constexpr std::size_t read_chunk_bytes = 16 * 1024;

class ConnectionLoop {
public:
    ConnectionLoop(Context& context, std::shared_ptr<GuardedSocket> socket, Port port,
                   std::shared_ptr<const tls::CertificateSet> certificates)
        : context_(context), socket_(std::move(socket)), port_(port), certificates_(std::move(certificates)) {
        buffer_.resize(context_.settings.limits.max_head_bytes + read_chunk_bytes);
        headers_.reserve(32);
        gather_.reserve(16);
        views_.reserve(8);
        scratch_.reserve(512);
        boost::system::error_code ec;
        const auto remote = socket_->socket.remote_endpoint(ec);
        client_address_ = ec ? "-" : remote.address().to_string();
    }

    awaitable<void> run() {
        if (port_ == Port::https && !co_await handshake()) {
            socket_->finish();
            co_return;
        }
        while (true) {
            socket_->expire_after(context_.settings.request_timeout);
            Request request;
            request.head.headers = &headers_;
            const auto parsed = co_await read_head(request.head);
            if (parsed.status != http::ParseStatus::complete) {
                if (parsed.status == http::ParseStatus::error) co_await reject(parsed.error_status, parsed.error_reason);
                break;
            }
            request.client_address = client_address_;
            request.arrival_ms = unix_now_ms();
            request.arrival = std::chrono::steady_clock::now();
            begin_ += parsed.head_bytes;
            if (request.head.has_body()) {
                // The head's views point into buffer_, which reading the body may move: keep a copy
                // and parse it again afterwards.
                std::string head_copy(buffer_.data() + begin_ - parsed.head_bytes, parsed.head_bytes);
                const auto status = co_await read_body(request);
                if (status != 0) {
                    co_await reject(status, status == 413 ? "request body too large" : "bad request body");
                    break;
                }
                http::parse_request_head(std::span<const char>(head_copy.data(), head_copy.size()),
                                         context_.settings.limits, request.head);
                const bool keep = co_await handle(request);
                if (!keep) break;
                continue;
            }
            const bool keep = co_await handle(request);
            if (!keep) break;
        }
        socket_->finish();
    }

private:
    awaitable<bool> handshake() {
        socket_->expire_after(context_.settings.request_timeout);
        boost::system::error_code ec;
        co_await socket_->tls->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            context_.metrics.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
            co_return false;
        }
        context_.metrics.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
        if (SSL_session_reused(socket_->tls->native_handle()) == 1) {
            context_.metrics.tls_resumed.fetch_add(1, std::memory_order_relaxed);
        }
        co_return true;
    }

    // Whether the certificate this connection presented is the one configured for the request's
    // host (the authority of an absolute-form target, else Host).
    bool certificate_covers(const http::RequestHead& head) const {
        std::string_view host = head.host;
        for (const std::string_view scheme : {"http://", "https://"}) {
            if (http::istarts_with(head.target, scheme)) {
                const auto rest = head.target.substr(scheme.size());
                host = rest.substr(0, rest.find('/'));
            }
        }
        const auto* certificate = certificates_->find(lower_host(host));
        return certificate != nullptr && certificate->context.get() == SSL_get_SSL_CTX(socket_->tls->native_handle());
    }

    awaitable<http::ParseResult> read_head(http::RequestHead& head) {
        while (true) {
            if (begin_ < end_) {
                const auto result = http::parse_request_head(std::span<const char>(buffer_.data() + begin_, end_ - begin_),
                                                             context_.settings.limits, head);
                if (result.status != http::ParseStatus::need_more) co_return result;
            }
            // Read here rather than through fill_buffer(): a coroutine call allocates its frame,
            // and this runs for every request.
            const auto space = read_space();
            if (space.size() == 0) co_return http::ParseResult{};
            boost::system::error_code ec;
            const auto n = co_await socket_->async_read_some(space, asio::redirect_error(use_awaitable, ec));
            if (ec) co_return http::ParseResult{};
            end_ += n;
        }
    }

    // The free space after end_, compacting first; empty when the buffer is full (cannot happen:
    // limits are below the buffer size).
    asio::mutable_buffer read_space() {
        if (begin_ == end_) begin_ = end_ = 0;
        if (end_ == buffer_.size() && begin_ > 0) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        return asio::buffer(buffer_.data() + end_, buffer_.size() - end_);
    }

    // Reads more bytes after end_; false on EOF, error or timeout.
    awaitable<bool> fill_buffer() {
        const auto space = read_space();
        if (space.size() == 0) co_return false;
        boost::system::error_code ec;
        const auto n = co_await socket_->async_read_some(space, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return false;
        end_ += n;
        co_return true;
    }

    // Returns 0, or the status to reject the request with.
    awaitable<int> read_body(Request& request) {
        const auto max_bytes = context_.settings.max_request_body_bytes;
        if (request.head.content_length && *request.head.content_length > max_bytes) co_return 413;
        if (request.head.expect_continue) {
            static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
            boost::system::error_code ec;
            co_await socket_->async_write(asio::buffer(continue_line.data(), continue_line.size()),
                                          asio::redirect_error(use_awaitable, ec));
            if (ec) co_return 400;
        }
        http::ChunkedDecoder decoder;
        std::uint64_t remaining = request.head.content_length.value_or(0);
        while (request.head.chunked ? !decoder.done() : remaining > 0) {
            if (begin_ == end_) {
                socket_->expire_after(context_.settings.body_timeout);
                if (!co_await fill_buffer()) co_return 400;
                continue;
            }
            const std::span<const char> available(buffer_.data() + begin_, end_ - begin_);
            if (request.head.chunked) {
                const auto step = decoder.next(available);
                if (step.error) co_return 400;
                begin_ += step.consumed;
                request.body.append(step.data.data(), step.data.size());
                if (request.body.size() > max_bytes) co_return 413;
            } else {
                const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, available.size()));
                request.body.append(available.data(), take);
                begin_ += take;
                remaining -= take;
            }
        }
        co_return 0;
    }

    awaitable<void> reject(int status, std::string_view reason) {
        context_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
        Exchange exchange(context_, *socket_, gather_, views_, scratch_);
        ExchangeRecord record;
        co_await exchange.send_simple(status, std::string(reason) + "\n", false, record);
        // Lingering close: stop sending, then read and discard what the client is still sending
        // for a moment, so that closing with unread input (which makes the kernel send a reset)
        // does not destroy the error response before the client has read it.
        boost::system::error_code ec;
        socket_->socket.shutdown(tcp::socket::shutdown_send, ec);
        socket_->expire_after(std::chrono::milliseconds(1000));
        std::size_t drained = 0;
        while (!ec && drained < (1u << 20)) {
            drained += co_await socket_->socket.async_read_some(asio::buffer(buffer_), asio::redirect_error(use_awaitable, ec));
        }
    }

    awaitable<bool> handle(Request& request) {
        context_.metrics.requests.fetch_add(1, std::memory_order_relaxed);
        Exchange exchange(context_, *socket_, gather_, views_, scratch_);
        ExchangeRecord record;
        bool keep = false;
        if (port_ == Port::admin) {
            keep = co_await purge::serve_admin(context_, exchange, request, record);
        } else if (port_ == Port::https && !certificate_covers(request.head)) {
            context_.metrics.errors.fetch_add(1, std::memory_order_relaxed);
            keep = co_await exchange.send_simple(421, "this connection's certificate (chosen by SNI) is not the one for host '" +
                                                          lower_host(request.head.host) + "'\n",
                                                 request.head.keep_alive, record);
        } else {
            keep = co_await exchange.run(request, record);
        }
        if (context_.access_log && port_ != Port::admin) {
            log::AccessRecord line;
            line.time_ms = request.arrival_ms;
            line.pop = context_.settings.pop;
            line.client = request.client_address;
            line.host = request.head.host;
            line.customer = record.customer;
            line.method = request.head.method_text;
            line.url = request.head.target;
            line.status = record.status;
            line.bytes = record.body_bytes;
            line.result = record.result;
            line.first_byte_ms = record.first_byte_ms;
            line.total_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request.arrival).count();
            line.origin = record.origin.empty() ? std::string_view("-") : std::string_view(record.origin);
            line.scheme = port_ == Port::https ? std::string_view("https") : std::string_view("http");
            context_.access_log->append(line);
        }
        co_return keep;
    }

    Context& context_;
    std::shared_ptr<GuardedSocket> socket_;
    Port port_;
    std::shared_ptr<const tls::CertificateSet> certificates_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::vector<http::Header> headers_;
    std::vector<asio::const_buffer> gather_;
    std::vector<std::span<const char>> views_;
    std::string scratch_;
    std::string client_address_;
};

}  // namespace

awaitable<void> serve_connection(Context& context, std::shared_ptr<GuardedSocket> socket, Port port,
                                 std::shared_ptr<const tls::CertificateSet> certificates) {
    context.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    {
        ConnectionLoop loop(context, std::move(socket), port, std::move(certificates));
        co_await loop.run();
    }
    context.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace udn::cache::server
