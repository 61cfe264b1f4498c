// Admin endpoints of the cache; see admin.hpp.
#include "cache/purge/admin.hpp"

#include <chrono>

#include "cache/http/syntax.hpp"
#include "cache/purge/auth.hpp"
#include "cache/server/routes.hpp"

namespace udn::cache::purge {

namespace {

// Splits "http://host/target" into host and target.
bool split_url(std::string_view url, std::string_view& host, std::string_view& target) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) return false;
    url.remove_prefix(url.find("//") + 2);
    const auto slash = url.find('/');
    host = url.substr(0, slash);
    target = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
    return !host.empty();
}

}  // namespace

std::string percent_decode(std::string_view text) {
    std::string result;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && http::hex_value(text[i + 1]) >= 0 && http::hex_value(text[i + 2]) >= 0) {
            result += static_cast<char>(http::hex_value(text[i + 1]) * 16 + http::hex_value(text[i + 2]));
            i += 2;
        } else {
            result += text[i] == '+' ? ' ' : text[i];
        }
    }
    return result;
}

PurgeResult purge(server::Context& context, std::string_view kind, std::string_view value) {
    PurgeResult result;
    std::string prefix;
    std::string exact;
    if (kind == "all") {
        prefix = "";
    } else if (kind == "site") {
        const auto host = server::lower_host(value);
        if (host.empty()) {
            result.error = "site= needs a host name";
            return result;
        }
        prefix = host + "/";
    } else if (kind == "url" || kind == "prefix") {
        std::string_view host, target;
        if (!split_url(value, host, target)) {
            result.error = std::string(kind) + "= needs an absolute http:// URL";
            return result;
        }
        const auto routes = context.routes.get();
        auto routed = routes->route(host, target);
        if (const auto* error = std::get_if<server::RouteError>(&routed)) {
            result.error = error->reason;
            return result;
        }
        const auto& key = std::get<server::Route>(routed).key;
        if (kind == "url") {
            exact = key;
            prefix = key + '\x1f';  // its Vary variants
        } else {
            prefix = key;
        }
    } else {
        result.error = "say what to purge: url=, prefix=, site= or all=1";
        return result;
    }
    const auto counts = context.purge({exact, prefix});
    result.memory_objects = counts.memory_objects;
    result.disk_objects = counts.disk_objects;
    context.metrics.purges.fetch_add(1, std::memory_order_relaxed);
    return result;
}

std::string metrics_text(server::Context& context) {
    std::string out;
    const auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value, std::string_view type = "counter") {
        out += "# HELP udn_cache_";
        out += name;
        out += ' ';
        out += help;
        out += "\n# TYPE udn_cache_";
        out += name;
        out += ' ';
        out += type;
        out += "\nudn_cache_";
        out += name;
        out += ' ';
        out += std::to_string(value);
        out += '\n';
    };
    const auto& m = context.metrics;
    counter("requests_total", "Requests answered on the HTTP port.", m.requests.load());
    counter("hits_total", "Requests answered from a fresh stored object.", m.hits.load());
    counter("misses_total", "Requests that caused an origin fetch.", m.misses.load());
    counter("collapsed_total", "Requests that joined another request's origin fetch.", m.collapsed.load());
    counter("stale_total", "Responses served stale (stale-while-revalidate, stale-if-error).", m.stale.load());
    counter("revalidated_total", "Stored objects revalidated with a 304.", m.revalidated.load());
    counter("passes_total", "Requests passed to the origin without caching.", m.passes.load());
    counter("errors_total", "Requests answered with an error by the cache.", m.errors.load());
    counter("disk_hits_total", "Objects promoted from the disk tier.", m.disk_hits.load());
    counter("origin_fetches_total", "Fetches from origin servers.", m.origin_fetches.load());
    counter("origin_failures_total", "Origin fetches that failed (no answer or 5xx).", m.origin_failures.load());
    counter("bad_requests_total", "Requests rejected by the parser.", m.bad_requests.load());
    counter("connections_accepted_total", "Client connections accepted.", m.connections_accepted.load());
    counter("connections_refused_total", "Client connections refused at the connection limit.", m.connections_refused.load());
    counter("connections_open", "Client connections open now.", static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.connections_open.load())), "gauge");
    counter("body_bytes_sent_total", "Response body bytes sent.", m.body_bytes_sent.load());
    counter("purges_total", "Purge requests executed.", m.purges.load());
    counter("slice_fetches_total", "Range requests for one slice of a large object (slice_bytes).", m.slice_fetches.load());
    counter("slice_version_changes_total", "Slices found of another version than the response being sent (dropped; the "
            "response restarted or was cut short).", m.slice_version_changes.load());
    counter("tls_handshakes_total", "TLS handshakes completed on the HTTPS port.", m.tls_handshakes.load());
    counter("tls_handshake_failures_total", "TLS handshakes refused or failed (unknown SNI, old protocol, timeout).",
            m.tls_handshake_failures.load());
    counter("tls_resumed_total", "TLS handshakes that resumed a session (ticket).", m.tls_resumed.load());
    if (context.backend) {
        const auto& back = *context.backend;
        counter("back_fetches_total", "Requests this memory front sent to its disk back.", back.fetches.load());
        counter("back_failures_total", "Requests the disk back did not answer (connect failure, timeout, broken response).",
                back.failures.load());
        counter("back_fallbacks_total", "Fetches this front sent to the origins itself because the back was down.",
                back.fallbacks.load());
    }
    if (context.access_log) {
        counter("access_log_dropped_lines_total",
                "Access-log lines lost: the log thread fell too far behind, or the spool could not be written.",
                context.access_log->dropped_lines());
    }
    const auto memory = context.memory.stats();
    counter("memory_objects", "Objects in the memory tier.", memory.objects, "gauge");
    counter("memory_bytes", "Bytes accounted in the memory tier.", memory.bytes, "gauge");
    counter("memory_evictions_total", "Objects evicted from the memory tier.", memory.evictions);
    counter("memory_arena_bytes", "Bytes the memory tier's slab arena has mapped (stored objects, free and uncarved blocks).",
            memory.arena_bytes, "gauge");
    if (context.disk) {
        const auto disk = context.disk->stats();
        counter("disk_objects", "Objects in the disk tier.", disk.objects, "gauge");
        counter("disk_bytes", "Bytes in the disk tier.", disk.bytes, "gauge");
        counter("disk_corrupt_total", "Disk objects that failed verification and were deleted.", disk.corrupt);
        counter("disk_evictions_total", "Objects evicted from the disk tier.", disk.evictions);
    }
    return out;
}

awaitable<bool> serve_admin(server::Context& context, server::Exchange& exchange, server::Request& request,
                            server::ExchangeRecord& record) {
    const auto& head = request.head;
    const auto target = head.target;
    const auto path = target.substr(0, target.find('?'));
    const bool keep = head.keep_alive;
    if (path == "/healthz" && head.method == http::Method::get) co_return co_await exchange.send_simple(200, "ok\n", keep, record);
    if (path == "/metrics" && head.method == http::Method::get) {
        co_return co_await exchange.send_simple(200, metrics_text(context), keep, record);
    }
    if (path != "/purge") co_return co_await exchange.send_simple(404, "admin endpoints: /healthz /metrics /purge\n", keep, record);
    if (head.method != http::Method::post) co_return co_await exchange.send_simple(405, "purge needs POST\n", keep, record, "Allow: POST\r\n");
    const auto problem = verify(context.settings.admin_key, head.method_text, target, head.header("authorization"), server::unix_now_s());
    if (!problem.empty()) co_return co_await exchange.send_simple(401, "purge refused: " + problem + "\n", keep, record);
    const auto query = target.find('?') == std::string_view::npos ? std::string_view{} : target.substr(target.find('?') + 1);
    const auto equals = query.find('=');
    if (equals == std::string_view::npos) {
        co_return co_await exchange.send_simple(400, "say what to purge: ?url=, ?prefix=, ?site= or ?all=1\n", keep, record);
    }
    const auto kind = query.substr(0, equals);
    const auto value = percent_decode(query.substr(equals + 1));
    // A memory front purges its disk back first: purged the other way round, a miss in between
    // could fill the front again from the back's old copy.
    std::string back_json;
    std::string back_error;
    if (context.backend) {
        const auto authorization =
            authorization_header(context.settings.admin_key, "POST", target, server::unix_now_s());
        auto answer = co_await context.backend->post_admin(std::string(target), authorization, std::chrono::seconds(10));
        while (!answer.body.empty() && (answer.body.back() == '\n' || answer.body.back() == '\r')) answer.body.pop_back();
        if (answer.status == 400) co_return co_await exchange.send_simple(400, answer.body + "\n", keep, record);
        if (answer.status == 200) {
            back_json = answer.body;
        } else {
            back_error = answer.status ? "the disk back answered " + std::to_string(answer.status) + ": " + answer.body
                                       : "the disk back " + context.backend->name() + " did not answer: " + answer.error;
        }
    }
    const auto result = purge(context, kind, value);
    if (!result.error.empty()) co_return co_await exchange.send_simple(400, "purge refused: " + result.error + "\n", keep, record);
    std::string json = "{\"memory_objects\":" + std::to_string(result.memory_objects) + ",\"disk_objects\":" +
                       std::to_string(result.disk_objects);
    if (!back_json.empty()) json += ",\"back\":" + back_json;
    if (!back_error.empty()) {
        // This front is purged; the back is not, and would hand the old copies out again: the
        // purge failed and must be repeated once the back is up.
        json += ",\"back_error\":\"";
        for (const char c : back_error) {
            if (c == '"' || c == '\\') json += '\\';
            json += c < ' ' ? ' ' : c;
        }
        json += "\"}\n";
        co_return co_await exchange.send_simple(502, json, keep, record);
    }
    co_return co_await exchange.send_simple(200, json + "}\n", keep, record);
}

}  // namespace udn::cache::purge
