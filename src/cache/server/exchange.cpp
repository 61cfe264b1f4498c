// The cache logic of one exchange; see exchange.hpp. RFC 9111 decisions live in
// policy/freshness and fill.cpp; this file decides which tier answers and writes the bytes.
#include "cache/server/exchange.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "cache/http/cache_control.hpp"
#include "cache/http/date.hpp"
#include "cache/http/range.hpp"
#include "cache/http/status.hpp"
#include "cache/http/syntax.hpp"
#include "cache/server/conditionals.hpp"
#include "cache/server/fill.hpp"
#include "cache/server/object_wait.hpp"
#include "cache/server/routes.hpp"
#include "cache/tiers/chain.hpp"

namespace udn::cache::server {

namespace {

// How the object being sent came to be chosen; the final Cache-Status also depends on how its
// fetch ended.
enum class Mode : std::uint8_t { hit, stale_while_revalidate, fetch, revalidate, collapsed, pass };

struct Shape {
    Mode mode = Mode::fetch;
};

// Request headers forwarded to origins. Everything else (X-Forwarded-Host, X-Original-URL,
// ...) is dropped, so no unkeyed header can change what the origin returns for a shared key.
constexpr std::string_view shared_forward[] = {"accept", "accept-encoding", "accept-language", "user-agent"};
constexpr std::string_view pass_forward[] = {"authorization", "cookie", "content-type", "referer", "origin",
                                             "if-none-match", "if-modified-since", "if-match", "if-unmodified-since"};

// Integers of response heads: snprintf cost ~2,000 of a 1 KiB hit's ~20,000 instructions.
void append_decimal(std::string& text, std::int64_t value) {
    char digits[24];
    text.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

http::CacheControl request_cache_control(const http::RequestHead& head) {
    http::CacheControl cc;
    bool seen = false;
    for (const auto& header : *head.headers) {
        if (http::iequals(header.name, "cache-control")) {
            http::parse_cache_control(header.value, cc);
            seen = true;
        }
    }
    if (!seen) {
        if (const auto pragma = head.header("pragma"); pragma && http::list_contains(*pragma, "no-cache")) cc.no_cache = true;
    }
    return cc;
}

// The header fields every upstream request carries after Host: the forwarded client fields,
// X-Forwarded-For and Via.
void append_forwarded_fields(std::string& head, const Request& request, const std::string& via, bool pass,
                             bool trust_forwarded_for) {
    for (const auto& header : *request.head.headers) {
        bool forward = false;
        for (const auto name : shared_forward) forward = forward || http::iequals(header.name, name);
        if (pass) {
            for (const auto name : pass_forward) forward = forward || http::iequals(header.name, name);
        }
        if (!forward) continue;
        head += header.name;
        head += ": ";
        head += header.value;
        head += "\r\n";
    }
    head += "X-Forwarded-For: ";
    if (trust_forwarded_for) {
        if (const auto forwarded = request.head.header("x-forwarded-for")) {
            head += *forwarded;
            head += ", ";
        }
    }
    head += request.client_address;
    head += "\r\nVia: 1.1 ";
    head += via;
    head += "\r\n";
}

std::string origin_request_head(std::string_view method, const Route& route, const Request& request,
                                const std::string& via, bool pass, bool trust_forwarded_for) {
    std::string head;
    head.reserve(512);
    head += method;
    head += ' ';
    head += route.origin_target();
    head += " HTTP/1.1\r\nHost: ";
    head += route.origin_host();
    head += "\r\n";
    append_forwarded_fields(head, request, via, pass, trust_forwarded_for);
    head += "Connection: close\r\n";
    return head;
}

// To the disk back: the client's Host and target, so that the back routes the request exactly
// as a cache would (the same table), on a kept connection.
std::string backend_request_head(std::string_view method, std::string_view host, std::string_view target,
                                 const Request& request, const std::string& via, bool pass) {
    std::string head;
    head.reserve(512);
    head += method;
    head += ' ';
    head += target;
    head += " HTTP/1.1\r\nHost: ";
    head += host;
    head += "\r\n";
    append_forwarded_fields(head, request, via, pass, false);
    return head;
}

}  // namespace

void Exchange::prepare_heads(FillJob& job, std::string_view method, const Route& route, const Request& request,
                             bool pass) const {
    job.request.head =
        origin_request_head(method, route, request, context_.cache_status_prefix, pass, context_.settings.trust_forwarded_for);
    if (context_.backend) {
        job.backend_head = backend_request_head(method, client_host_, client_target_, request, context_.cache_status_prefix, pass);
    }
}

awaitable<bool> Exchange::refuse_loop(const Request& request, ExchangeRecord& record) {
    context_.metrics.errors.fetch_add(1, std::memory_order_relaxed);
    record.result = "ERROR";
    co_return co_await send_simple(508, "this request has passed " + context_.cache_status_prefix +
                                            " already (Via): a --backend pointing at a memory front, or a loop of caches\n",
                                   request.head.keep_alive, record);
}

bool Exchange::looped(const Request& request) const {
    // Only a front forwards to another cache; it checks before joining a fetch, since a request
    // that came back to it would otherwise wait on the very fetch that sent it.
    if (!context_.backend) return false;
    const auto via = request.head.header("via");
    return via && tiers::via_names(*via, context_.cache_status_prefix);
}

void Exchange::add_field(FillJob& job, std::string_view name, std::string_view value) {
    for (auto* head : {&job.request.head, &job.backend_head}) {
        if (head->empty()) continue;
        *head += name;
        *head += ": ";
        *head += value;
        *head += "\r\n";
    }
}

void Exchange::end_heads(FillJob& job) {
    job.request.head += "\r\n";
    if (!job.backend_head.empty()) job.backend_head += "\r\n";
}

void Exchange::mark_first_byte(const Request& request, ExchangeRecord& record) {
    if (first_byte_marked_) return;
    first_byte_marked_ = true;
    record.first_byte_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request.arrival).count();
}

awaitable<bool> Exchange::write_all(std::string_view what) {
    gather_.clear();
    gather_.emplace_back(what.data(), what.size());
    boost::system::error_code ec;
    socket_.expire_after(context_.settings.send_timeout);
    if (!socket_.write_now(gather_)) co_return false;
    if (!gather_.empty()) {
        co_await socket_.async_write(gather_, asio::redirect_error(use_awaitable, ec));
    }
    gather_.clear();
    co_return !ec;
}

awaitable<bool> Exchange::send_head_and_file(int file_fd, std::size_t file_bytes) {
    auto& socket = socket_.socket;
    boost::system::error_code ec;
    // sendfile(2) has no MSG_DONTWAIT: the descriptor itself must not block. Asio's first wait
    // on the socket made it so already; asking again would cost an ioctl per response.
    if (!socket.native_non_blocking()) socket.native_non_blocking(true, ec);
    if (ec) co_return false;
    socket_.expire_after(context_.settings.send_timeout);
    // The head goes out at once as a segment of its own (as nginx sends it: writev, then
    // sendfile), not held back with MSG_MORE to leave with the body's first bytes. With
    // MSG_MORE every connection under the benchmark's load left BBR's startup phase within
    // seconds and was paced from then on (a pacing timer per response, the rest of the body sent
    // from softirq: 35 % of the worker's CPU in perf), and whether and when that happened made
    // 100 KiB runs differ 1.4x; without it the connections behave like nginx's (docs/cache.md,
    // "100 KiB: the spread was BBR pacing"). It costs one ~300-byte segment per response.
    if (!socket_.write_now(gather_)) co_return false;
    if (!gather_.empty()) {
        co_await asio::async_write(socket, gather_, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return false;
    }
    off_t offset = 0;
    while (static_cast<std::size_t>(offset) < file_bytes) {
        const auto moved = ::sendfile(socket.native_handle(), file_fd, &offset, file_bytes - static_cast<std::size_t>(offset));
        if (moved > 0 || (moved < 0 && errno == EINTR)) continue;
        if (moved < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            socket_.expire_after(context_.settings.send_timeout);
            co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
            if (ec) co_return false;
            continue;
        }
        co_return false;  // the peer went away, or the file is shorter than it should be
    }
    co_return true;
}

awaitable<bool> Exchange::send_simple(int status, std::string_view body, bool keep_alive, ExchangeRecord& record,
                                      std::string_view extra_headers) {
    record.status = status;
    record.body_bytes = body.size();
    scratch_.clear();
    scratch_ += "HTTP/1.1 ";
    scratch_ += std::to_string(status);
    scratch_ += ' ';
    scratch_ += http::reason_phrase(status);
    scratch_ += "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
    scratch_ += std::to_string(body.size());
    scratch_ += "\r\nCache-Control: no-store\r\n";
    scratch_ += extra_headers;
    scratch_ += keep_alive ? "\r\n" : "Connection: close\r\n\r\n";
    scratch_ += body;
    co_return co_await write_all(scratch_) && keep_alive;
}

awaitable<bool> Exchange::run(Request& request, ExchangeRecord& record) {
    auto& head = request.head;
    std::string_view host = head.host;
    std::string_view target = head.target;
    // Absolute form (RFC 9112 section 3.2.2): the authority in the target wins over Host.
    if (http::istarts_with(target, "http://")) {
        const auto rest = target.substr(7);
        const auto slash = rest.find('/');
        host = rest.substr(0, slash);
        target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
    client_host_ = host;
    client_target_ = target;
    const auto routes = context_.routes.get();
    auto routed = routes->route(host, target);
    if (const auto* error = std::get_if<RouteError>(&routed)) {
        context_.metrics.errors.fetch_add(1, std::memory_order_relaxed);
        record.result = "ERROR";
        co_return co_await send_simple(error->status, error->reason + "\n", head.keep_alive, record);
    }
    const auto& route = std::get<Route>(routed);
    record.customer = route.site->customer;
    switch (head.method) {
    case http::Method::get:
    case http::Method::head:
        if (head.header("authorization")) co_return co_await serve_pass(request, route, record, "bypass");
        co_return co_await serve_cacheable(request, route, record);
    case http::Method::post:
    case http::Method::put:
    case http::Method::patch:
    case http::Method::del: {
        // RFC 9111 section 4.4: a successful unsafe request invalidates the target URI (the
        // fetch does it when the answer arrives: FillJob::invalidates).
        co_return co_await serve_pass(request, route, record, "method");
    }
    case http::Method::options:
        co_return co_await serve_pass(request, route, record, "method");
    case http::Method::other:
        break;
    }
    record.result = "ERROR";
    co_return co_await send_simple(405, "method not allowed by this cache\n", head.keep_alive, record,
                                   "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n");
}

namespace {

// Whether a stored object may answer this request without contacting the origin.
bool fresh_for(const store::Object& object, const http::CacheControl& cc, std::int64_t now_s) {
    const auto* meta = object.meta();
    const auto age = meta->age_s(now_s);
    return age < meta->lifetime_s && !cc.no_cache && !(cc.max_age_s && age > *cc.max_age_s);
}

}  // namespace

// Split in two because a coroutine's frame holds every local of its body (GCC 12 does not
// overlap them): with the fetch path's FillJob, header vectors and strings in it this frame was
// 2.7 KB, which glibc serves from its slow path (tcache stops at 1,032 bytes) on every hit.
// This one answers a fresh object of a key without Vary; the rest goes to serve_lookup().
awaitable<bool> Exchange::serve_cacheable(Request& request, const Route& route, ExchangeRecord& record) {
    const auto cc = request_cache_control(request.head);
    if (cc.no_store || !context_.memory.vary_of(route.key).empty()) {
        co_return co_await serve_lookup(request, route, record, cc, nullptr, false);
    }
    auto object = context_.find_stored(route.key);
    if (object && fresh_for(*object, cc, unix_now_s())) {
        context_.metrics.hits.fetch_add(1, std::memory_order_relaxed);
        record.result = "HIT";
        co_return co_await send_object(request, std::move(object), record, "hit");
    }
    co_return co_await serve_lookup(request, route, record, cc, std::move(object), true);
}

awaitable<bool> Exchange::serve_lookup(Request& request, const Route& route, ExchangeRecord& record,
                                       const http::CacheControl& cc, store::ObjectPtr found, bool looked_up) {
    auto& head = request.head;
    if (cc.no_store) co_return co_await serve_pass(request, route, record, "request");
    const auto vary = context_.memory.vary_of(route.key);
    std::vector<std::pair<std::string, std::string>> headers;
    // A hit looks the route's key up in place; a key is only copied on the way to a fetch.
    std::string variant_storage;
    std::string_view key = route.key;
    if (!vary.empty()) {
        headers = lower_headers(head);
        variant_storage = variant_key(route.key, variant_of(vary, headers));
        key = variant_storage;
    }
    // serve_cacheable looked the plain key up already (a second look would read the disk tier
    // twice); with Vary the variant's key is looked up here.
    auto object = looked_up && vary.empty() ? std::move(found) : context_.find_stored(key);
    if (!object && vary.empty() && route.site->slice_bytes > 0) {
        bool fell_back = false;
        const bool keep_alive = co_await serve_sliced(request, route, record, cc, fell_back);
        if (!fell_back) co_return keep_alive;
    }
    const auto now_s = unix_now_s();
    store::ObjectPtr stale;
    if (object) {
        const auto meta = object->meta();
        const auto age = meta->age_s(now_s);
        if (fresh_for(*object, cc, now_s)) {
            context_.metrics.hits.fetch_add(1, std::memory_order_relaxed);
            record.result = "HIT";
            co_return co_await send_object(request, object, record, "hit");
        }
        stale = object;
        const bool may_serve_stale = !cc.no_cache && !meta->must_revalidate &&
                                     age < meta->lifetime_s + meta->stale_while_revalidate_s;
        if (may_serve_stale) {
            // Serve the stale copy now and refresh it in the background (RFC 5861), once.
            const InflightFetch refresh{store::Object::create(), std::make_shared<FetchNote>()};
            if (!context_.inflight.join_or_register(std::string(key), refresh).object) {
                if (headers.empty()) headers = lower_headers(head);
                FillJob job{&context_, refresh.object, route.key, std::string(key), route.site->origins, {}, std::move(headers), stale};
                job.note = refresh.note;
                prepare_heads(job, "GET", route, request, false);
                if (!meta->etag().empty()) add_field(job, "If-None-Match", meta->etag());
                if (!meta->last_modified().empty()) add_field(job, "If-Modified-Since", meta->last_modified());
                end_heads(job);
                job.revalidate_s = route.site->revalidate_s;
                asio::co_spawn(co_await asio::this_coro::executor, fill(std::move(job)), asio::detached);
            }
            context_.metrics.stale.fetch_add(1, std::memory_order_relaxed);
            record.result = "STALE";
            co_return co_await send_object(request, object, record, "hit; detail=stale-while-revalidate");
        }
    } else if (cc.only_if_cached) {
        record.result = "MISS";
        co_return co_await send_simple(504, "not in cache (only-if-cached)\n", head.keep_alive, record);
    }

    if (looped(request)) co_return co_await refuse_loop(request, record);
    const InflightFetch fresh{store::Object::create(), std::make_shared<FetchNote>()};
    if (const auto fetch = context_.inflight.join_or_register(std::string(key), fresh); fetch.object) {
        const auto& joined = fetch.object;
        co_await wait_for_head(joined);
        const auto meta = joined->meta();
        bool usable = !joined->is_private();
        if (usable && meta && !meta->vary().empty()) {
            if (headers.empty()) headers = lower_headers(head);
            usable = variant_of(meta->vary(), headers) == meta->variant();
        }
        if (usable) {
            context_.metrics.collapsed.fetch_add(1, std::memory_order_relaxed);
            record.result = "COLLAPSED";
            co_return co_await send_object(request, joined, record, "fwd=miss; collapsed", fetch.note.get());
        }
        co_return co_await serve_pass(request, route, record, "request");
    }
    if (headers.empty()) headers = lower_headers(head);
    FillJob job{&context_, fresh.object, route.key, std::string(key), route.site->origins, {}, std::move(headers), stale};
    job.note = fresh.note;
    prepare_heads(job, "GET", route, request, false);
    if (stale) {
        const auto meta = stale->meta();
        if (!meta->etag().empty()) add_field(job, "If-None-Match", meta->etag());
        if (!meta->last_modified().empty()) add_field(job, "If-Modified-Since", meta->last_modified());
    }
    end_heads(job);
    job.request_stale_if_error_s = cc.stale_if_error_s.value_or(0);
    job.revalidate_s = route.site->revalidate_s;
    job.request_facts.cache_control = cc;
    asio::co_spawn(co_await asio::this_coro::executor, fill(std::move(job)), asio::detached);
    if (stale) {
        record.result = "REVALIDATED";
        co_return co_await send_object(request, fresh.object, record, "fwd=stale", fresh.note.get());
    }
    context_.metrics.misses.fetch_add(1, std::memory_order_relaxed);
    record.result = "MISS";
    co_return co_await send_object(request, fresh.object, record, "fwd=miss", fresh.note.get());
}

awaitable<bool> Exchange::serve_pass(Request& request, const Route& route, ExchangeRecord& record, const char* why) {
    if (looped(request)) co_return co_await refuse_loop(request, record);
    context_.metrics.passes.fetch_add(1, std::memory_order_relaxed);
    record.result = "PASS";
    auto object = store::Object::create();
    auto note = std::make_shared<FetchNote>();
    FillJob job{&context_, object, route.key, {}, route.site->origins, {}, {}, nullptr};
    job.note = note;
    job.shareable = false;
    job.request.idempotent = request.head.method == http::Method::get || request.head.method == http::Method::head;
    const auto method = request.head.method;
    job.invalidates = method == http::Method::post || method == http::Method::put || method == http::Method::patch ||
                      method == http::Method::del;
    job.request.head_method = request.head.method == http::Method::head;
    prepare_heads(job, request.head.method_text, route, request, true);
    if (!request.body.empty() || !job.request.idempotent) {
        add_field(job, "Content-Length", std::to_string(request.body.size()));
    }
    end_heads(job);
    job.request.body = request.body;
    job.request_facts.is_get_or_head = false;
    asio::co_spawn(co_await asio::this_coro::executor, fill(std::move(job)), asio::detached);
    co_return co_await send_object(request, object, record, std::string("fwd=") + why, note.get());
}

awaitable<bool> Exchange::send_unreachable(const Request& request, ExchangeRecord& record) {
    context_.metrics.errors.fetch_add(1, std::memory_order_relaxed);
    record.result = "ERROR";
    const std::string status_line = "Cache-Status: " + context_.cache_status_prefix + "; fwd=miss; detail=origin-unreachable\r\n";
    co_return co_await send_simple(502, "no origin server of this site answered\n", request.head.keep_alive, record, status_line);
}

bool Exchange::append_validation_fields(const Request& request, const store::Object& object, ExchangeRecord& record,
                                        std::string_view cache_status, const FetchNote* note) {
    const auto& head = request.head;
    const auto* meta = object.meta();
    const auto now_s = unix_now_s();
    scratch_.clear();
    const auto outcome = object.outcome();
    std::string_view status_text = cache_status;
    std::string adjusted;
    // A stored object keeps the outcome of the fetch that made it; only a response that was
    // fetched for this request reports it.
    const bool fetched_now = !cache_status.starts_with("hit");
    if (!fetched_now) {
    } else if (outcome == store::Object::Outcome::revalidated) {
        adjusted = "fwd=stale; fwd-status=304";
        record.result = "REVALIDATED";
        context_.metrics.revalidated.fetch_add(1, std::memory_order_relaxed);
    } else if (outcome == store::Object::Outcome::stale_on_error) {
        adjusted = "fwd=stale; detail=stale-if-error";
        record.result = "STALE";
        context_.metrics.stale.fetch_add(1, std::memory_order_relaxed);
    } else if (cache_status.starts_with("fwd=miss") || cache_status == "fwd=stale") {
        adjusted = std::string(cache_status) + "; fwd-status=" + std::to_string(meta->status);
        if (!object.is_private()) adjusted += "; stored";
    }
    if (!adjusted.empty()) status_text = adjusted;

    const bool not_modified = (head.method == http::Method::get || head.method == http::Method::head) &&
                              record.result != std::string_view("PASS") && client_not_modified(head, *meta);
    if (not_modified) {
        scratch_ += "HTTP/1.1 304 Not Modified\r\n";
        for (const auto& [name, value] : meta->fields()) {
            if (http::istarts_with(name, "content-") && !http::iequals(name, "content-location")) continue;
            scratch_ += name;
            scratch_ += ": ";
            scratch_ += value;
            scratch_ += "\r\n";
        }
    }
    scratch_ += "Age: ";
    append_decimal(scratch_, meta->age_s(now_s));
    scratch_ += "\r\nCache-Status: ";
    // RFC 9211: the entry of the cache nearer the origin comes first. The back's entry belongs
    // to the response it just sent, so only a response fetched now lists it.
    if (fetched_now && note && !note->upstream_status.empty()) {
        scratch_ += note->upstream_status;
        scratch_ += ", ";
    }
    scratch_ += context_.cache_status_prefix;
    scratch_ += "; ";
    scratch_ += status_text;
    if (record.result == std::string_view("HIT")) {
        scratch_ += "; ttl=";
        append_decimal(scratch_, meta->lifetime_s - meta->age_s(now_s));
    }
    scratch_ += "\r\n";
    return not_modified;
}

awaitable<bool> Exchange::send_range(Request& request, const store::ObjectPtr& object, ExchangeRecord& record,
                                     bool keep_alive, bool satisfiable, http::ByteRange range) {
    const auto& head = request.head;
    const auto* meta = object->meta();
    const auto size = object->size_bytes();
    if (!satisfiable) {
        const std::string content_range = "Content-Range: bytes */" + std::to_string(size) + "\r\n";
        co_return co_await send_simple(416, "", keep_alive, record, content_range);
    }
    const auto count = range.last - range.first + 1;
    record.status = 206;
    char line[160];
    std::snprintf(line, sizeof line, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%zu\r\nContent-Length: %" PRIu64 "\r\n",
                  range.first, range.last, size, count);
    scratch_ += line;
    scratch_ += keep_alive ? (head.version_minor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n") : "Connection: close\r\n\r\n";
    static constexpr std::string_view partial = "HTTP/1.1 206 Partial Content\r\n";
    const auto& block = meta->head_block();
    const auto rest = block.find("\r\n") + 2;
    gather_.clear();
    gather_.emplace_back(partial.data(), partial.size());
    gather_.emplace_back(block.data() + rest, block.size() - rest);
    gather_.emplace_back(scratch_.data(), scratch_.size());
    views_.clear();
    object->body_views(static_cast<std::size_t>(range.first), static_cast<std::size_t>(count), views_);
    for (const auto& view : views_) gather_.emplace_back(view.data(), view.size());
    mark_first_byte(request, record);
    boost::system::error_code ec;
    socket_.expire_after(context_.settings.send_timeout);
    co_await socket_.async_write(gather_, asio::redirect_error(use_awaitable, ec));
    gather_.clear();
    record.body_bytes = count;
    context_.metrics.body_bytes_sent.fetch_add(count, std::memory_order_relaxed);
    co_return !ec && keep_alive;
}

awaitable<bool> Exchange::send_object(Request& request, store::ObjectPtr object, ExchangeRecord& record,
                                      std::string_view cache_status, const FetchNote* note) {
    const auto& head = request.head;
    // Not awaited for a stored object: each coroutine call costs a frame allocation.
    if (object->state() == store::Object::State::pending) co_await wait_for_head(object);
    if (object->state() == store::Object::State::failed) co_return co_await send_unreachable(request, record);
    const auto meta = object->meta();
    if (!cache_status.starts_with("hit")) record.origin = meta->origin_name();
    bool keep_alive = head.keep_alive;
    const bool head_only = head.method == http::Method::head;

    // The head's variable part is built by plain functions: what they need would otherwise sit
    // in this coroutine's frame (see serve_cacheable), which the hit path allocates every time.
    const bool not_modified = append_validation_fields(request, *object, record, cache_status, note);
    if (not_modified) {
        record.status = 304;
        scratch_ += keep_alive ? (head.version_minor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n") : "Connection: close\r\n\r\n";
        mark_first_byte(request, record);
        co_return co_await write_all(scratch_) && keep_alive;
    }
    record.status = meta->status;
    const bool bodiless_status = meta->status == 204 || meta->status == 304 || meta->status < 200;

    // Ranges are served from complete objects; while an object fills, the whole response is
    // sent (RFC 9110 lets a server ignore Range).
    if (head.method == http::Method::get && meta->status == 200 && object->state() == store::Object::State::complete) {
        if (const auto range_header = head.header("range"); range_header && if_range_allows(head, *meta)) {
            http::ByteRange range;
            const auto verdict = http::parse_range(*range_header, object->size_bytes(), range);
            if (verdict != http::RangeVerdict::ignore) {
                co_return co_await send_range(request, object, record, keep_alive, verdict == http::RangeVerdict::satisfiable, range);
            }
        }
    }
    auto state = object->state();
    enum class Framing : std::uint8_t { none, length, chunked, close } framing = Framing::none;
    std::uint64_t length = 0;
    if (!bodiless_status) {
        if (state == store::Object::State::complete) {
            framing = Framing::length;
            length = object->size_bytes();
        } else if (meta->content_length) {
            framing = Framing::length;
            length = *meta->content_length;
        } else if (head_only) {
            framing = Framing::none;
        } else if (head.version_minor == 1) {
            framing = Framing::chunked;
        } else {
            framing = Framing::close;
            keep_alive = false;
        }
    }
    if (framing == Framing::length) {
        scratch_ += "Content-Length: ";
        append_decimal(scratch_, static_cast<std::int64_t>(length));
        scratch_ += "\r\n";
    } else if (framing == Framing::chunked) {
        scratch_ += "Transfer-Encoding: chunked\r\n";
    }
    scratch_ += keep_alive ? (head.version_minor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n") : "Connection: close\r\n\r\n";

    gather_.clear();
    gather_.emplace_back(meta->head_block().data(), meta->head_block().size());
    gather_.emplace_back(scratch_.data(), scratch_.size());
    mark_first_byte(request, record);
    if (head_only || bodiless_status) {
        boost::system::error_code ec;
        socket_.expire_after(context_.settings.send_timeout);
        if (!socket_.write_now(gather_)) co_return false;
        if (!gather_.empty()) {
            co_await socket_.async_write(gather_, asio::redirect_error(use_awaitable, ec));
        }
        gather_.clear();
        co_return !ec && keep_alive;
    }

    // A complete body in a memory file (64 KiB and more) below Settings::sendfile_below_bytes
    // goes out with sendfile(2); larger ones are copied with the head in one sendmsg below, as
    // ATS does. Both measured side by side on this machine's loopback (docs/cache.md, "Copy, not
    // sendfile"): at 100 KiB sendfile cost 23.4 µs per hit against 25.6 for the copy, at 1 MiB
    // the copy 282 µs against 382, where sendfile's per-page skb references cost more than
    // copying. (Plain TCP only: on the HTTPS port the bytes must pass through the TLS stream.)
    if (framing == Framing::length && state == store::Object::State::complete && !socket_.tls &&
        length < context_.settings.sendfile_below_bytes) {
        if (const int file_fd = object->body_file_fd(); file_fd >= 0) {
            const bool sent = co_await send_head_and_file(file_fd, static_cast<std::size_t>(length));
            gather_.clear();
            if (!sent) co_return false;
            record.body_bytes = length;
            context_.metrics.body_bytes_sent.fetch_add(length, std::memory_order_relaxed);
            co_return keep_alive;
        }
    }

    // Body: everything present now in one gathered write with the head (a complete 1 MiB hit is
    // one sendmsg); then, while the object fills, each new piece as it arrives.
    std::size_t offset = 0;
    while (true) {
        state = object->state();
        views_.clear();
        const auto covered = object->body_views(offset, 4u << 20, views_);
        std::string chunk_head;
        if (framing == Framing::chunked && covered > 0) {
            char size_line[32];
            std::snprintf(size_line, sizeof size_line, "%zx\r\n", covered);
            chunk_head = size_line;
            gather_.emplace_back(chunk_head.data(), chunk_head.size());
        }
        for (const auto& view : views_) gather_.emplace_back(view.data(), view.size());
        if (framing == Framing::chunked && covered > 0) gather_.emplace_back("\r\n", 2);
        offset += covered;
        const bool ended = covered == 0 && (state == store::Object::State::complete || state == store::Object::State::failed);
        if (ended && state == store::Object::State::complete && framing == Framing::chunked) gather_.emplace_back("0\r\n\r\n", 5);
        if (!gather_.empty()) {
            boost::system::error_code ec;
            socket_.expire_after(context_.settings.send_timeout);
            if (!socket_.write_now(gather_)) co_return false;
            if (!gather_.empty()) {
                co_await socket_.async_write(gather_, asio::redirect_error(use_awaitable, ec));
            }
            gather_.clear();
            if (ec) co_return false;
            record.body_bytes = offset;
        }
        if (ended) {
            // A fetch that failed mid-body cannot be signalled in HTTP/1.1 except by closing.
            if (state == store::Object::State::failed) co_return false;
            if (framing == Framing::length && offset != length) co_return false;
            break;
        }
        if (covered == 0) co_await wait_for_change(object, offset, state);
    }
    context_.metrics.body_bytes_sent.fetch_add(offset, std::memory_order_relaxed);
    co_return keep_alive && framing != Framing::close;
}

}  // namespace udn::cache::server
