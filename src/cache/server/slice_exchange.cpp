// Large objects in slices (docs/cache.md "Slices"): a miss on a site with slice_bytes asks the
// origin for slice 0 with a Range request; its 206 gives the complete length, and each slice
// is then a cached object of its own. A request is answered from the slices covering it,
// fetching only the missing ones (each collapsed like any fetch) and streaming them to the
// client as they arrive.
#include <cinttypes>
#include <cstdio>
#include <optional>

#include "cache/http/cache_control.hpp"
#include "cache/http/range.hpp"
#include "cache/server/conditionals.hpp"
#include "cache/server/exchange.hpp"
#include "cache/server/fill.hpp"
#include "cache/server/object_wait.hpp"
#include "cache/server/routes.hpp"
#include "cache/slice/slices.hpp"

namespace udn::cache::server {

struct SliceFetch {
    store::ObjectPtr object;
    std::shared_ptr<FetchNote> note;
    bool joined = false;  // another client's fetch
};

namespace {

// Slices looked up before the head is written, to say truthfully whether the answer is a hit;
// beyond this many (4 GiB at 1 MiB slices) the rest are not looked at in advance.
constexpr std::uint64_t max_slices_checked = 4096;

bool is_stored(Context& context, const std::string& key) {
    return context.memory.find(key) || (context.disk && context.disk->contains(key));
}

bool fresh_for(const store::ObjectMeta& meta, const http::CacheControl& cc, std::int64_t now_s) {
    const auto age = meta.age_s(now_s);
    return age < meta.lifetime_s && !cc.no_cache && !(cc.max_age_s && age > *cc.max_age_s);
}

std::string_view head_end(const http::RequestHead& head) {
    if (!head.keep_alive) return "Connection: close\r\n\r\n";
    return head.version_minor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n";
}

}  // namespace

awaitable<SliceFetch> Exchange::fetch_slice(const Request& request, const Route& route, const http::CacheControl& cc,
                                            std::uint64_t index, std::string validator, store::ObjectPtr stale) {
    const auto key = slice::slice_key(route.key, index);
    const InflightFetch fresh{store::Object::create(), std::make_shared<FetchNote>()};
    if (const auto fetch = context_.inflight.join_or_register(key, fresh); fetch.object) {
        co_return SliceFetch{fetch.object, fetch.note, true};
    }
    context_.metrics.slice_fetches.fetch_add(1, std::memory_order_relaxed);
    FillJob job{&context_, fresh.object, route.key, key, route.site->origins, {}, lower_headers(request.head), stale};
    job.note = fresh.note;
    prepare_heads(job, "GET", route, request, false);
    add_field(job, "Range", slice::request_range(index, route.site->slice_bytes));
    if (stale) {
        // A 304 refreshes the stored slice, and with it the whole object: the anchor stands for
        // every slice of its version.
        const auto meta = stale->meta();
        if (!meta->etag().empty()) add_field(job, "If-None-Match", meta->etag());
        if (!meta->last_modified().empty()) add_field(job, "If-Modified-Since", meta->last_modified());
        job.request_stale_if_error_s = cc.stale_if_error_s.value_or(0);
    }
    end_heads(job);
    job.revalidate_s = route.site->revalidate_s;
    job.request_facts.cache_control = cc;
    job.slice = FillJob::Slice{index, route.site->slice_bytes, std::move(validator)};
    asio::co_spawn(co_await asio::this_coro::executor, fill(std::move(job)), asio::detached);
    co_return SliceFetch{fresh.object, fresh.note, false};
}

awaitable<bool> Exchange::send_part(std::string& head, const store::ObjectPtr& object, std::size_t offset,
                                    std::size_t end, ExchangeRecord& record) {
    while (offset < end || !head.empty()) {
        const auto state = object->state();
        // What is present now, not `offset`: a range may start beyond the bytes that arrived.
        const auto present_bytes = object->size_bytes();
        views_.clear();
        const auto covered = offset < end ? object->body_views(offset, std::min<std::size_t>(end - offset, 4u << 20), views_) : 0;
        if (covered > 0 || !head.empty()) {
            gather_.clear();
            if (!head.empty()) gather_.emplace_back(head.data(), head.size());
            for (const auto& view : views_) gather_.emplace_back(view.data(), view.size());
            boost::system::error_code ec;
            socket_.expire_after(context_.settings.send_timeout);
            co_await socket_.async_write(gather_, asio::redirect_error(use_awaitable, ec));
            gather_.clear();
            head.clear();
            if (ec) co_return false;
            offset += covered;
            record.body_bytes += covered;
            context_.metrics.body_bytes_sent.fetch_add(covered, std::memory_order_relaxed);
            continue;
        }
        // Ended (or failed) before its Content-Range's last byte: the response cannot be
        // completed, and HTTP/1.1 can only say so by closing.
        if (state == store::Object::State::complete || state == store::Object::State::failed) co_return false;
        co_await wait_for_change(object, present_bytes, state);
    }
    co_return true;
}

awaitable<bool> Exchange::serve_sliced(Request& request, const Route& route, ExchangeRecord& record,
                                       const http::CacheControl& cc, bool& fell_back) {
    const auto& head = request.head;
    const std::uint64_t slice_bytes = route.site->slice_bytes;
    // The anchor is the first slice the request needs (slice 0 when that needs the length):
    // it is looked up or fetched first, and stands for the whole — its version, complete
    // length and freshness.
    std::uint64_t anchor_index = 0;
    if (const auto range_header = head.header("range"); range_header && head.method == http::Method::get) {
        anchor_index = slice::first_byte_wanted(*range_header).value_or(0) / slice_bytes;
    }
    // Three tries: an anchor beyond the end falls back to slice 0, and a stored slice of
    // another version drops every slice and starts again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto anchor_key = slice::slice_key(route.key, anchor_index);
        auto anchor = context_.find_stored(anchor_key);
        std::string old_validator;
        store::ObjectPtr stale_anchor;
        // How the anchor was had when it was stored but stale, for Cache-Status and the log.
        auto anchor_use = store::Object::Outcome::fetched;
        bool stale_while_revalidate = false;
        if (anchor && !fresh_for(*anchor->meta(), cc, unix_now_s())) {
            const auto& stored = *anchor->meta();
            old_validator = slice::validator_of(stored);
            if (!cc.no_cache && !stored.must_revalidate &&
                stored.age_s(unix_now_s()) < stored.lifetime_s + stored.stale_while_revalidate_s) {
                // RFC 5861: answer from the stored slices now; the anchor is revalidated in the
                // background (once: later requests join that fetch without waiting for it).
                co_await fetch_slice(request, route, cc, anchor_index, old_validator, anchor);
                stale_while_revalidate = true;
            } else {
                stale_anchor = std::move(anchor);
                anchor = nullptr;
            }
        }
        bool anchor_fetched = false;
        std::shared_ptr<FetchNote> anchor_note;  // the disk back's Cache-Status entry, when it answered
        if (!anchor) {
            if (cc.only_if_cached) {
                record.result = "MISS";
                co_return co_await send_simple(504, "not in cache (only-if-cached)\n", head.keep_alive, record);
            }
            auto fetch = co_await fetch_slice(request, route, cc, anchor_index, old_validator, stale_anchor);
            co_await wait_for_head(fetch.object);
            const auto* meta = fetch.object->meta();
            const bool failed = fetch.object->state() == store::Object::State::failed;
            if (!failed && (meta->status == 416 || (fetch.object->is_private() && (fetch.joined || meta->status == 206)))) {
                if (meta->status == 416 && anchor_index > 0) {
                    anchor_index = 0;  // beyond the end: slice 0 tells the length
                    continue;
                }
                // No slices for this object (empty, no validator, a Vary, not shareable): the
                // whole-object path answers.
                fell_back = true;
                co_return false;
            }
            if (failed || meta->status != 206) {
                // An origin without range support answered 200: that response is the object,
                // stored whole; so is a 206 that held the whole object, and any error status.
                if (fetch.joined) context_.metrics.collapsed.fetch_add(1, std::memory_order_relaxed);
                else context_.metrics.misses.fetch_add(1, std::memory_order_relaxed);
                record.result = fetch.joined ? "COLLAPSED" : "MISS";
                co_return co_await send_object(request, fetch.object, record, fetch.joined ? "fwd=miss; collapsed" : "fwd=miss",
                                               fetch.note.get());
            }
            anchor = fetch.object;
            anchor_note = fetch.note;
            // A 304, or the stored slice kept through an origin failure (stale-if-error): its
            // bytes come from the cache.
            anchor_use = anchor->outcome();
            anchor_fetched = anchor_use == store::Object::Outcome::fetched;
        }
        const auto& meta0 = *anchor->meta();
        if (!slice::belongs_to(meta0, meta0, anchor_index, slice_bytes)) {
            context_.metrics.slice_version_changes.fetch_add(1, std::memory_order_relaxed);
            context_.erase_slices(route.key);
            continue;
        }
        const auto total = slice::content_range_of(meta0)->complete_length_bytes;
        const auto validator = slice::validator_of(meta0);

        // What the client gets: all of it (200), or one satisfiable range of it (206).
        http::ByteRange wanted{0, total - 1};
        bool partial = false;
        if (head.method == http::Method::get) {
            if (const auto range_header = head.header("range"); range_header && if_range_allows(head, meta0)) {
                http::ByteRange range;
                const auto verdict = http::parse_range(*range_header, total, range);
                if (verdict == http::RangeVerdict::unsatisfiable) {
                    record.result = anchor_fetched ? "MISS" : "HIT";
                    co_return co_await send_simple(416, "", head.keep_alive, record,
                                                   "Content-Range: bytes */" + std::to_string(total) + "\r\n");
                }
                if (verdict == http::RangeVerdict::satisfiable) {
                    wanted = range;
                    partial = true;
                }
            }
        }
        const bool not_modified = client_not_modified(head, meta0);
        const bool with_body = head.method == http::Method::get && !not_modified;
        const auto span = slice::slices_covering(wanted, slice_bytes);

        // Which of the needed slices are here, so that Cache-Status says what happens.
        std::uint64_t stored = 0;
        std::uint64_t checked = 0;
        if (with_body) {
            for (auto index = span.first_index; index <= span.last_index && checked < max_slices_checked; ++index, ++checked) {
                if (index == anchor_index ? !anchor_fetched : is_stored(context_, slice::slice_key(route.key, index))) ++stored;
            }
        } else {
            checked = 1;
            stored = anchor_fetched ? 0 : 1;
        }
        const bool hit = stored == checked && (with_body ? span.last_index - span.first_index + 1 == checked : !anchor_fetched);
        if (cc.only_if_cached && !hit) {
            record.result = "MISS";
            co_return co_await send_simple(504, "not in cache (only-if-cached)\n", head.keep_alive, record);
        }
        std::string cache_status;
        if (hit && stale_while_revalidate) {
            record.result = "STALE";
            context_.metrics.stale.fetch_add(1, std::memory_order_relaxed);
            cache_status = "hit; detail=stale-while-revalidate";
        } else if (hit && anchor_use == store::Object::Outcome::revalidated) {
            record.result = "REVALIDATED";
            record.origin = meta0.origin_name();
            context_.metrics.revalidated.fetch_add(1, std::memory_order_relaxed);
            cache_status = "fwd=stale; fwd-status=304";
        } else if (hit && anchor_use == store::Object::Outcome::stale_on_error) {
            record.result = "STALE";
            context_.metrics.stale.fetch_add(1, std::memory_order_relaxed);
            cache_status = "fwd=stale; detail=stale-if-error";
        } else if (hit) {
            record.result = "HIT";
            context_.metrics.hits.fetch_add(1, std::memory_order_relaxed);
            cache_status = "hit; ttl=" + std::to_string(meta0.lifetime_s - meta0.age_s(unix_now_s()));
        } else {
            // RFC 9211: fwd=partial when part of the response came from the cache.
            record.result = stored == 0 ? "MISS" : "PARTIAL";
            record.origin = meta0.origin_name();
            context_.metrics.misses.fetch_add(1, std::memory_order_relaxed);
            cache_status = std::string(stored == 0 ? "fwd=miss" : "fwd=partial") + "; fwd-status=206";
            if (!anchor->is_private()) cache_status += "; stored";
        }

        std::string response_head;
        const auto now_s = unix_now_s();
        if (not_modified) {
            record.status = 304;
            response_head = "HTTP/1.1 304 Not Modified\r\n";
        } else {
            record.status = partial ? 206 : 200;
            response_head = partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
        }
        for (const auto& [name, value] : meta0.fields()) {
            if (http::iequals(name, "content-range")) continue;
            if (not_modified && http::istarts_with(name, "content-") && !http::iequals(name, "content-location")) continue;
            response_head.append(name).append(": ").append(value).append("\r\n");
        }
        char line[160];
        std::snprintf(line, sizeof line, "Age: %" PRId64 "\r\n", meta0.age_s(now_s));
        response_head += line;
        response_head += "Cache-Status: ";
        // RFC 9211: the entry of the cache nearer the origin first — on a memory front, the disk
        // back's answer for the anchor slice.
        if (anchor_note && !anchor_note->upstream_status.empty()) response_head += anchor_note->upstream_status + ", ";
        response_head += context_.cache_status_prefix + "; " + cache_status + "\r\n";
        if (!not_modified) {
            if (partial) {
                std::snprintf(line, sizeof line, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n", wanted.first,
                              wanted.last, total);
                response_head += line;
            }
            std::snprintf(line, sizeof line, "Content-Length: %" PRIu64 "\r\n", wanted.last - wanted.first + 1);
            response_head += line;
        }
        response_head += head_end(head);
        mark_first_byte(request, record);
        if (!with_body) {
            co_return co_await write_all(response_head) && head.keep_alive;
        }

        // Slice after slice; the head goes out with the first slice's bytes, so that a first
        // slice of another version can still restart the exchange.
        bool restart = false;
        std::optional<SliceFetch> ahead;  // the next slice, fetched while this one is sent
        for (auto index = span.first_index; index <= span.last_index; ++index) {
            store::ObjectPtr part;
            bool fetched = false;
            bool joined = false;
            if (ahead) {
                part = ahead->object;
                joined = ahead->joined;
                fetched = true;
                ahead.reset();
            } else {
                part = index == anchor_index ? anchor : context_.find_stored(slice::slice_key(route.key, index));
            }
            if (!part) {
                auto fetch = co_await fetch_slice(request, route, cc, index, validator);
                part = fetch.object;
                joined = fetch.joined;
                fetched = true;
            }
            if (fetched) co_await wait_for_head(part);
            const bool usable = part->state() != store::Object::State::failed && !(joined && part->is_private()) &&
                                slice::belongs_to(meta0, *part->meta(), index, slice_bytes);
            // Read-ahead of one slice: a cold full GET would otherwise wait one origin round
            // trip per slice.
            if (usable && index < span.last_index && index + 1 != anchor_index &&
                !is_stored(context_, slice::slice_key(route.key, index + 1))) {
                ahead = co_await fetch_slice(request, route, cc, index + 1, validator);
            }
            if (!usable) {
                // The object changed at the origin (or a fetch failed): never splice two
                // versions. Before any byte was sent the exchange starts again; after, the
                // connection closes short of Content-Length.
                const bool changed = part->state() != store::Object::State::failed;
                if (changed) context_.metrics.slice_version_changes.fetch_add(1, std::memory_order_relaxed);
                // A fetched slice of a newer version has dropped the older ones itself, and is kept.
                if (changed && !fetched) context_.erase_slices(route.key);
                if (!response_head.empty() && changed) {
                    restart = true;
                    break;
                }
                if (!response_head.empty()) {
                    context_.metrics.errors.fetch_add(1, std::memory_order_relaxed);
                    record.result = "ERROR";
                    co_return co_await send_simple(502, "no origin server of this site answered\n", head.keep_alive, record);
                }
                co_return false;
            }
            const auto slice_first = index * slice_bytes;
            const auto from = std::max(wanted.first, slice_first) - slice_first;
            const auto to = std::min(wanted.last, slice_first + slice_bytes - 1) - slice_first + 1;
            if (!co_await send_part(response_head, part, static_cast<std::size_t>(from), static_cast<std::size_t>(to), record)) {
                co_return false;
            }
        }
        if (restart) continue;
        co_return head.keep_alive;
    }
    fell_back = true;
    co_return false;
}

}  // namespace udn::cache::server
