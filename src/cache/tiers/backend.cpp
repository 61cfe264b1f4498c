// Keep-alive client of the disk back; see backend.hpp.
#include "cache/tiers/backend.hpp"

namespace udn::cache::tiers {

namespace {

const void* loop_of(const asio::any_io_executor& executor) {
    return &asio::query(executor, asio::execution::context_as<asio::execution_context&>);
}

std::string name_of(const BackendSettings& settings) {
    const bool v6 = settings.host.find(':') != std::string::npos;
    return (v6 ? "[" + settings.host + "]" : settings.host) + ":" + std::to_string(settings.port);
}

}  // namespace

Backend::Backend(BackendSettings settings, Notify notify)
    : settings_(std::move(settings)),
      notify_(std::move(notify)),
      name_(name_of(settings_)),
      endpoint_(asio::ip::make_address(settings_.host), settings_.port),
      health_(name_, settings_.down_for) {}

bool Backend::usable() { return health_.usable(BackendHealth::Clock::now()); }

void Backend::report(bool ok, const std::string& why) {
    const auto now = BackendHealth::Clock::now();
    if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
    const auto message = ok ? health_.answered(now) : health_.failed(why, now);
    if (message && notify_) notify_(ok ? "info" : "warning", *message);
}

std::shared_ptr<GuardedSocket> Backend::take_idle(const asio::any_io_executor& executor) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[loop_of(executor)];
    while (!idle.empty()) {
        auto socket = std::move(idle.back());
        idle.pop_back();
        if (socket->socket.is_open() && !socket->timed_out) return socket;
        socket->finish();
    }
    return nullptr;
}

void Backend::give_back(std::shared_ptr<GuardedSocket> socket) {
    // The watcher closes the connection if it stays idle longer than the back would keep it.
    socket->expire_after(settings_.idle_keep);
    std::lock_guard lock(mutex_);
    auto& idle = idle_[loop_of(socket->socket.get_executor())];
    std::erase_if(idle, [](const auto& kept) { return !kept->socket.is_open(); });
    if (idle.size() >= settings_.max_idle_per_loop) {
        socket->finish();
        return;
    }
    idle.push_back(std::move(socket));
}

void Backend::clear_pool() {
    std::lock_guard lock(mutex_);
    for (auto& [loop, idle] : idle_) {
        for (auto& socket : idle) socket->finish();
    }
    idle_.clear();
}

awaitable<std::shared_ptr<GuardedSocket>> Backend::connect(std::uint16_t port, std::string& error) {
    auto socket = make_guarded_socket(co_await asio::this_coro::executor);
    boost::system::error_code ec;
    socket->expire_after(settings_.connect_timeout);
    co_await socket->socket.async_connect(tcp::endpoint(endpoint_.address(), port), asio::redirect_error(use_awaitable, ec));
    if (ec) {
        error = "connect: " + (socket->timed_out ? std::string("timed out") : ec.message());
        socket->finish();
        co_return nullptr;
    }
    socket->socket.set_option(tcp::no_delay(true), ec);
    co_return socket;
}

awaitable<BackendFetch> Backend::fetch(const origin::OriginRequest& request, origin::Timeouts timeouts) {
    fetches.fetch_add(1, std::memory_order_relaxed);
    BackendFetch result;
    const auto reuse = [this](std::shared_ptr<GuardedSocket> socket) { give_back(std::move(socket)); };
    // A request that changes something is never sent on a kept connection: if that connection
    // turned out closed, we could not tell whether the back had received it.
    if (request.idempotent) {
        if (auto pooled = take_idle(co_await asio::this_coro::executor)) {
            auto outcome = co_await origin::exchange(std::move(pooled), request, timeouts, name_, nullptr, reuse);
            if (outcome.response) {
                report(true, {});
                result.response = std::move(outcome.response);
                co_return result;
            }
            // The back closed the kept connection (its keep-alive timeout, a restart): a new
            // connection decides. Anything else is a real failure of the back.
            if (!outcome.nothing_received) {
                report(false, outcome.error);
                result.error = std::move(outcome.error);
                result.may_fall_back = true;
                co_return result;
            }
        }
    }
    auto socket = co_await connect(settings_.port, result.error);
    if (!socket) {
        report(false, result.error);
        result.may_fall_back = true;
        co_return result;
    }
    auto outcome = co_await origin::exchange(std::move(socket), request, timeouts, name_, nullptr, reuse);
    if (!outcome.response) {
        report(false, outcome.error);
        result.error = std::move(outcome.error);
        result.may_fall_back = request.idempotent;
        co_return result;
    }
    report(true, {});
    result.response = std::move(outcome.response);
    co_return result;
}

awaitable<AdminAnswer> Backend::post_admin(const std::string& target, const std::string& authorization,
                                           std::chrono::milliseconds timeout) {
    AdminAnswer answer;
    auto socket = co_await connect(settings_.admin_port, answer.error);
    if (!socket) co_return answer;
    origin::OriginRequest request;
    request.idempotent = false;
    request.head = "POST " + target + " HTTP/1.1\r\nHost: " + settings_.host + ":" + std::to_string(settings_.admin_port) +
                   "\r\nAuthorization: " + authorization + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const origin::Timeouts timeouts{settings_.connect_timeout, timeout, timeout};
    auto outcome = co_await origin::exchange(std::move(socket), request, timeouts, name_, nullptr, nullptr);
    if (!outcome.response) {
        answer.error = std::move(outcome.error);
        co_return answer;
    }
    auto& response = *outcome.response;
    while (true) {
        const auto piece = co_await response.read_body();
        if (piece.error) {
            answer.error = "the back's admin answer broke off";
            co_return answer;
        }
        if (answer.body.size() < 64 * 1024) answer.body.append(piece.data.data(), piece.data.size());
        if (piece.done) break;
    }
    response.close();
    answer.status = response.status;
    co_return answer;
}

}  // namespace udn::cache::tiers
