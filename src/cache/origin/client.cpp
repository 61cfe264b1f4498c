// Origin fetch with mirror failover and streamed bodies; see client.hpp.
#include "cache/origin/client.hpp"

#include <algorithm>
#include <cstring>

#include "cache/http/response_parser.hpp"
#include "cache/http/syntax.hpp"

namespace udn::cache::origin {

namespace {

constexpr std::size_t buffer_bytes = 64 * 1024;
constexpr std::size_t max_head_bytes = 32 * 1024;

struct Attempt {
    std::unique_ptr<OriginResponse> response;
    std::string error;
};

tcp::endpoint endpoint_of(const config::Origin& origin) {
    const auto address = asio::ip::make_address(origin.address.to_string());
    return tcp::endpoint(address, origin.port);
}

}  // namespace

class Fetcher {
public:
    static awaitable<ExchangeOutcome> exchange(std::shared_ptr<GuardedSocket> socket, const OriginRequest& request,
                                               Timeouts timeouts, std::string_view peer, const config::Origin* origin,
                                               OriginResponse::Reuse reuse) {
        ExchangeOutcome result;
        auto response = std::make_unique<OriginResponse>();
        response->origin = origin;
        response->timeouts_ = timeouts;
        response->socket_ = std::move(socket);
        auto& guarded = *response->socket_;
        boost::system::error_code ec;
        guarded.expire_after(timeouts.first_byte);
        std::array<asio::const_buffer, 2> out{asio::buffer(request.head), asio::buffer(request.body)};
        co_await asio::async_write(guarded.socket, out, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            result.error = "send to " + std::string(peer) + ": " + ec.message();
            result.nothing_received = true;
            guarded.finish();
            co_return result;
        }
        auto& buffer = response->buffer_;
        buffer.resize(buffer_bytes);
        std::vector<http::Header> headers;
        http::ResponseHead head;
        head.headers = &headers;
        std::size_t filled = 0;
        bool received = false;
        while (true) {
            const auto parsed = http::parse_response_head(std::span<const char>(buffer.data(), filled), max_head_bytes, head);
            if (parsed.status == http::ParseStatus::error) {
                result.error = "bad response from " + std::string(peer) + ": " + std::string(parsed.error_reason);
                guarded.finish();
                co_return result;
            }
            if (parsed.status == http::ParseStatus::complete) {
                // 1xx interim responses are skipped; the final one follows.
                if (head.status < 200) {
                    std::memmove(buffer.data(), buffer.data() + parsed.head_bytes, filled - parsed.head_bytes);
                    filled -= parsed.head_bytes;
                    continue;
                }
                response->begin_ = parsed.head_bytes;
                break;
            }
            if (filled == buffer.size()) {
                result.error = "response head from " + std::string(peer) + " too large";
                guarded.finish();
                co_return result;
            }
            const auto n = co_await guarded.socket.async_read_some(asio::buffer(buffer.data() + filled, buffer.size() - filled),
                                                                   asio::redirect_error(use_awaitable, ec));
            if (ec) {
                result.error = "read from " + std::string(peer) + ": " + (guarded.timed_out ? "timed out" : ec.message());
                result.nothing_received = !received && !guarded.timed_out;
                guarded.finish();
                co_return result;
            }
            received = true;
            filled += n;
        }
        response->end_ = filled;
        response->status = head.status;
        for (const auto& h : headers) response->headers.emplace_back(std::string(h.name), std::string(h.value));
        response->chunked = head.chunked;
        response->content_length = head.content_length;
        const bool bodiless = request.head_method || head.status == 204 || head.status == 304;
        if (bodiless) {
            response->finished_ = true;
        } else if (head.chunked) {
        } else if (head.content_length) {
            response->remaining_ = *head.content_length;
            response->finished_ = response->remaining_ == 0;
        } else {
            response->until_close_ = true;
        }
        response->keep_alive_ = head.keep_alive && !response->until_close_ && reuse != nullptr;
        response->reuse_ = std::move(reuse);
        result.response = std::move(response);
        co_return result;
    }

    static awaitable<Attempt> attempt(const config::Origin& origin, const OriginRequest& request, Timeouts timeouts) {
        Attempt result;
        const auto executor = co_await asio::this_coro::executor;
        auto socket = make_guarded_socket(executor);
        auto& guarded = *socket;
        boost::system::error_code ec;
        guarded.expire_after(timeouts.connect);
        co_await guarded.socket.async_connect(endpoint_of(origin), asio::redirect_error(use_awaitable, ec));
        if (ec) {
            result.error = "connect to " + origin.name + ": " + (guarded.timed_out ? "timed out" : ec.message());
            guarded.finish();
            co_return result;
        }
        guarded.socket.set_option(tcp::no_delay(true), ec);
        auto outcome = co_await exchange(std::move(socket), request, timeouts, origin.name, &origin, nullptr);
        result.response = std::move(outcome.response);
        result.error = std::move(outcome.error);
        co_return result;
    }
};

awaitable<ExchangeOutcome> exchange(std::shared_ptr<GuardedSocket> socket, const OriginRequest& request, Timeouts timeouts,
                                    std::string_view peer, const config::Origin* origin, OriginResponse::Reuse reuse) {
    co_return co_await Fetcher::exchange(std::move(socket), request, timeouts, peer, origin, std::move(reuse));
}

const std::string* OriginResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (http::iequals(key, name)) return &value;
    }
    return nullptr;
}

void OriginResponse::close() {
    if (!socket_) return;
    if (finished_) end_of_body();
    else socket_->finish();
}

void OriginResponse::end_of_body() {
    // Bytes after the body would be a response to nothing: such a peer is not reused.
    if (keep_alive_ && begin_ == end_ && socket_->socket.is_open() && !socket_->timed_out) {
        reuse_(std::move(socket_));
        socket_.reset();
        return;
    }
    socket_->finish();
}

awaitable<OriginResponse::Piece> OriginResponse::read_body() {
    while (!finished_) {
        if (begin_ < end_) {
            const std::span<const char> available(buffer_.data() + begin_, end_ - begin_);
            if (chunked) {
                const auto step = decoder_.next(available);
                begin_ += step.consumed;
                if (step.error) co_return Piece{{}, false, true};
                if (step.done) finished_ = true;
                if (!step.data.empty() || step.done) co_return Piece{step.data, step.done, false};
                continue;
            }
            if (until_close_) {
                begin_ = end_;
                co_return Piece{available, false, false};
            }
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available.size()));
            begin_ += take;
            remaining_ -= take;
            if (remaining_ == 0) finished_ = true;
            co_return Piece{available.first(take), finished_, false};
        }
        begin_ = end_ = 0;
        boost::system::error_code ec;
        socket_->expire_after(timeouts_.idle);
        const auto n = co_await socket_->socket.async_read_some(asio::buffer(buffer_), asio::redirect_error(use_awaitable, ec));
        if (ec == asio::error::eof && until_close_) {
            finished_ = true;
            break;
        }
        if (ec) co_return Piece{{}, false, true};
        end_ = n;
    }
    close();
    co_return Piece{{}, true, false};
}

awaitable<FetchOutcome> fetch(std::vector<const config::Origin*> ordered, HealthTable& health,
                              const OriginRequest& request, Timeouts timeouts) {
    FetchOutcome outcome;
    if (ordered.empty()) {
        outcome.error = "no origin configured for this site";
        co_return outcome;
    }
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        const auto& origin = *ordered[i];
        ++outcome.attempts;
        auto attempt = co_await Fetcher::attempt(origin, request, timeouts);
        if (!attempt.response) {
            health.report_failure(origin);
            outcome.error = std::move(attempt.error);
            if (!request.idempotent) break;  // the request may have reached the origin: never repeat it
            continue;
        }
        const bool server_error = attempt.response->status >= 500;
        if (server_error) health.report_failure(origin);
        else health.report_success(origin);
        if (server_error && request.idempotent && i + 1 < ordered.size()) {
            attempt.response->close();
            outcome.error = origin.name + " answered " + std::to_string(attempt.response->status);
            continue;
        }
        outcome.response = std::move(attempt.response);
        co_return outcome;
    }
    co_return outcome;
}

}  // namespace udn::cache::origin
