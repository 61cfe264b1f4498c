// Origin fetch task filling a cached object; see fill.hpp.
#include "cache/server/fill.hpp"

#include <algorithm>

#include "cache/http/date.hpp"
#include "cache/http/syntax.hpp"
#include "cache/slice/slices.hpp"
#include "cache/tiers/chain.hpp"

namespace udn::cache::server {

namespace {

std::string lower(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    return result;
}

// The Vary field normalised: lower-case names, no spaces, "*" alone.
std::string normalise_vary(const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string result;
    for (const auto& [name, value] : headers) {
        if (!http::iequals(name, "vary")) continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto item = http::trim(rest.substr(0, comma));
            if (item == "*") return "*";
            if (!item.empty()) {
                if (!result.empty()) result += ',';
                result += lower(item);
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return result;
}

bool listed_in_connection(std::string_view name, const std::vector<std::pair<std::string, std::string>>& headers) {
    for (const auto& [key, value] : headers) {
        if (http::iequals(key, "connection") && http::list_contains(value, name)) return true;
    }
    return false;
}

std::shared_ptr<store::ObjectMeta> meta_from_response(const FillJob& job, const origin::OriginResponse& response,
                                                      std::int64_t request_time_s, std::int64_t response_time_s) {
    auto meta = std::make_shared<store::ObjectMeta>();
    store::HeaderFields fields;
    fields.reserve(response.headers.size());
    for (const auto& [name, value] : response.headers) {
        if (is_hop_by_hop(name) || http::iequals(name, "content-length") || http::iequals(name, "age") ||
            listed_in_connection(name, response.headers)) {
            continue;
        }
        fields.emplace_back(name, value);
    }
    meta->set_head(response.status, fields);
    const auto facts = facts_of(response.status, response.headers);
    apply_freshness(*meta, facts, job.context->settings.heuristic_cap_s, job.revalidate_s);
    meta->request_time_s = request_time_s;
    meta->response_time_s = response_time_s;
    meta->corrected_initial_age_s = policy::corrected_initial_age_s(facts, request_time_s, response_time_s);
    meta->set_vary(normalise_vary(response.headers));
    meta->set_variant(variant_of(meta->vary(), job.request_headers));
    if (!response.chunked && response.content_length) meta->content_length = response.content_length;
    if (response.origin) meta->set_origin_name(response.origin->name);
    return meta;
}

// A 304 updates the stored header fields it carries (RFC 9111 section 4.3.4).
std::shared_ptr<store::ObjectMeta> refreshed_meta(const FillJob& job, const store::ObjectMeta& stored,
                                                  const origin::OriginResponse& response, std::int64_t request_time_s,
                                                  std::int64_t response_time_s) {
    auto meta = std::make_shared<store::ObjectMeta>(stored);
    const auto updated = [](std::string_view name) {
        // The stored framing stays (RFC 9111 section 3.2): a 304 says nothing about length or range.
        return !is_hop_by_hop(name) && !http::iequals(name, "content-length") && !http::iequals(name, "content-range") &&
               !http::iequals(name, "age");
    };
    store::HeaderFields fields;
    for (const auto& [name, value] : stored.fields()) {
        const bool replaced = std::any_of(response.headers.begin(), response.headers.end(), [&](const auto& header) {
            return updated(header.first) && http::iequals(header.first, name);
        });
        if (!replaced) fields.emplace_back(name, value);
    }
    for (const auto& [name, value] : response.headers) {
        if (updated(name)) fields.emplace_back(name, value);
    }
    meta->set_head(stored.status, fields);
    // A slice is fresh as the 200 it is part of would be (as when it was fetched).
    const auto facts = facts_of(job.slice ? 200 : meta->status, fields);
    apply_freshness(*meta, facts, job.context->settings.heuristic_cap_s, job.revalidate_s);
    meta->request_time_s = request_time_s;
    meta->response_time_s = response_time_s;
    auto response_facts = facts_of(response.status, response.headers);
    meta->corrected_initial_age_s = policy::corrected_initial_age_s(response_facts, request_time_s, response_time_s);
    if (response.origin) meta->set_origin_name(response.origin->name);
    return meta;
}

bool stale_usable_on_error(const store::Object& stale, std::int64_t request_sie_s, std::int64_t now_s) {
    const auto meta = stale.meta();
    if (!meta || meta->must_revalidate) return false;
    const auto window = std::max<std::int64_t>(meta->stale_if_error_s, request_sie_s);
    return meta->age_s(now_s) <= meta->lifetime_s + window;
}

// The disk back when it is up (its answer, whatever its status, is the answer: it has asked the
// origins itself), else the origins. The back's own Cache-Status entry is taken out of the
// response, so the front never stores it, and kept for this fetch's clients.
awaitable<origin::FetchOutcome> fetch_upstream(FillJob& job, std::string& origin_label) {
    auto& context = *job.context;
    auto* backend = context.backend.get();
    if (backend && !job.backend_head.empty()) {
        if (backend->usable()) {
            origin::OriginRequest request{job.backend_head, job.request.body, job.request.idempotent, job.request.head_method};
            // The back may itself wait for every mirror of the site: give it that long.
            auto timeouts = context.settings.origin_timeouts;
            timeouts.first_byte = 2 * (timeouts.connect + timeouts.first_byte);
            auto fetched = co_await backend->fetch(request, timeouts);
            if (fetched.response) {
                const auto entry = tiers::take_own_entry(fetched.response->headers);
                origin_label = "back:" + std::string(tiers::result_of_entry(entry));
                if (job.note) job.note->upstream_status = entry;
                origin::FetchOutcome outcome;
                outcome.response = std::move(fetched.response);
                outcome.attempts = 1;
                co_return outcome;
            }
            if (!fetched.may_fall_back) {
                origin::FetchOutcome outcome;
                outcome.error = std::move(fetched.error);
                co_return outcome;
            }
        }
        backend->count_fallback();
    }
    co_return co_await origin::fetch(context.health.order(job.origins), context.health, job.request,
                                     context.settings.origin_timeouts);
}

std::string_view header_value(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (http::iequals(key, name)) return value;
    }
    return {};
}

enum class SliceVerdict : std::uint8_t { whole, slice, whole_in_one_slice, refuse };

// What a slice fetch's response is (FillJob::Slice). A response of another version than the
// stored slices' drops them: the new one is kept, and readers never splice the two.
SliceVerdict judge_slice(const FillJob& job, const origin::OriginResponse& response) {
    const auto& slice = *job.slice;
    auto verdict = SliceVerdict::refuse;
    std::string validator;
    if (response.status != 206) {
        // An origin without range support sends the whole object: stored whole, as usual.
        if (response.status != 416) verdict = SliceVerdict::whole;
    } else if (header_value(response.headers, "vary").empty()) {
        const auto range = http::parse_content_range(header_value(response.headers, "content-range"));
        validator = slice::validator_of(header_value(response.headers, "etag"), header_value(response.headers, "last-modified"));
        if (range && slice::answers_slice(*range, slice.index, slice.slice_bytes)) {
            // The whole object in one answer cannot be spliced with anything: no validator
            // needed (without one it would be fetched a second time, whole). Real slices need one.
            if (range->first == 0 && range->last + 1 == range->complete_length_bytes) {
                verdict = SliceVerdict::whole_in_one_slice;
            } else if (!validator.empty()) {
                verdict = SliceVerdict::slice;
            }
        }
    }
    if (!slice.validator.empty() && !(verdict == SliceVerdict::slice && validator == slice.validator)) {
        job.context->erase_slices(job.base_key);
    }
    return verdict;
}

// A 206 that holds the whole object, stored as the 200 it stands for.
void make_whole(store::ObjectMeta& meta, const origin::OriginResponse& response, const FillJob& job) {
    store::HeaderFields fields;
    for (const auto& [name, value] : meta.fields()) {
        if (!http::iequals(name, "content-range")) fields.emplace_back(name, value);
    }
    meta.set_head(200, fields);
    apply_freshness(meta, facts_of(200, response.headers), job.context->settings.heuristic_cap_s, job.revalidate_s);
}

}  // namespace

bool is_hop_by_hop(std::string_view name) {
    for (const auto hop : {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                           "upgrade", "proxy-authenticate", "proxy-authorization"}) {
        if (http::iequals(name, hop)) return true;
    }
    return false;
}

std::string variant_of(std::string_view vary, const std::vector<std::pair<std::string, std::string>>& request_headers) {
    std::string result;
    while (!vary.empty()) {
        const auto comma = vary.find(',');
        const auto name = vary.substr(0, comma);
        result += name;
        result += '\x1e';
        for (const auto& [key, value] : request_headers) {
            if (key == name) {
                result += value;
                break;
            }
        }
        result += '\x1e';
        if (comma == std::string_view::npos) break;
        vary.remove_prefix(comma + 1);
    }
    return result;
}

std::vector<std::pair<std::string, std::string>> lower_headers(const http::RequestHead& head) {
    std::vector<std::pair<std::string, std::string>> result;
    result.reserve(head.headers->size());
    for (const auto& header : *head.headers) result.emplace_back(lower(header.name), std::string(header.value));
    return result;
}

std::string variant_key(std::string_view base_key, std::string_view variant) {
    std::string key(base_key);
    if (!variant.empty()) {
        key += '\x1f';
        key += variant;
    }
    return key;
}

policy::ResponseFacts facts_of(int status, const std::vector<std::pair<std::string, std::string>>& headers) {
    policy::ResponseFacts facts;
    facts.status = status;
    for (const auto& [name, value] : headers) {
        if (http::iequals(name, "cache-control")) {
            http::parse_cache_control(value, facts.cache_control);
        } else if (http::iequals(name, "date")) {
            facts.date_s = http::parse_http_date(value);
        } else if (http::iequals(name, "expires")) {
            facts.has_expires = true;
            facts.expires_s = http::parse_http_date(value);
        } else if (http::iequals(name, "last-modified")) {
            facts.last_modified_s = http::parse_http_date(value);
        } else if (http::iequals(name, "age")) {
            std::int64_t age = 0;
            bool valid = !value.empty();
            for (const char c : value) {
                if (c < '0' || c > '9') valid = false;
                else age = std::min<std::int64_t>(age * 10 + (c - '0'), 2147483648LL);
            }
            if (valid) facts.age_s = age;
        } else if (http::iequals(name, "set-cookie")) {
            facts.has_set_cookie = true;
        } else if (http::iequals(name, "vary")) {
            facts.vary = http::trim(value);
        }
    }
    return facts;
}

void apply_freshness(store::ObjectMeta& meta, const policy::ResponseFacts& facts, std::int64_t heuristic_cap_s,
                     std::uint32_t revalidate_s) {
    const auto& cc = facts.cache_control;
    meta.lifetime_s = policy::freshness_lifetime_s(facts, heuristic_cap_s);
    // The domain's periodic revalidation: objects are checked against the origin at least this often.
    if (revalidate_s > 0) meta.lifetime_s = std::min<std::int64_t>(meta.lifetime_s, revalidate_s);
    if (cc.no_cache) meta.lifetime_s = 0;
    meta.must_revalidate = cc.must_revalidate || cc.proxy_revalidate || cc.no_cache || cc.s_maxage_s.has_value();
    meta.stale_while_revalidate_s = cc.stale_while_revalidate_s.value_or(0);
    meta.stale_if_error_s = cc.stale_if_error_s.value_or(0);
}

awaitable<void> fill(FillJob job) {
    auto& context = *job.context;
    const auto finish_inflight = [&] {
        if (!job.inflight_key.empty()) context.inflight.remove(job.inflight_key, job.object.get());
        job.inflight_key.clear();
    };
    context.metrics.origin_fetches.fetch_add(1, std::memory_order_relaxed);
    // Taken before the origin is asked: a purge from here on may be about content this fetch
    // got before it, so such a purge keeps the result out of the stores.
    const auto purge_ticket = context.purge_fence.open(job.base_key);
    const auto request_time_s = unix_now_s();
    std::string origin_label;  // set when the back answered: "back:<its result>"
    auto outcome = co_await fetch_upstream(job, origin_label);
    const auto response_time_s = unix_now_s();
    const bool origin_failed = !outcome.response || outcome.response->status >= 500;
    if (job.invalidates && outcome.response && outcome.response->status >= 200 && outcome.response->status < 400) {
        context.purge({job.base_key, job.base_key + '\x1f'});
    }
    if (origin_failed) context.metrics.origin_failures.fetch_add(1, std::memory_order_relaxed);
    if (origin_failed && job.stale && stale_usable_on_error(*job.stale, job.request_stale_if_error_s, response_time_s)) {
        if (outcome.response) outcome.response->close();
        job.object->adopt(*job.stale->meta(), job.stale->body(), store::Object::Outcome::stale_on_error);
        finish_inflight();
        co_return;
    }
    if (!outcome.response) {
        job.object->fail();
        finish_inflight();
        co_return;
    }
    auto& response = *outcome.response;
    if (response.status == 304 && job.stale && job.stale->meta()) {
        auto meta = refreshed_meta(job, *job.stale->meta(), response, request_time_s, response_time_s);
        if (!origin_label.empty()) meta->set_origin_name(origin_label);
        response.close();
        const auto key = job.slice ? slice::slice_key(job.base_key, job.slice->index) : variant_key(job.base_key, meta->variant());
        job.object->adopt(std::move(*meta), job.stale->body(), store::Object::Outcome::revalidated);
        if (job.shareable) context.store_complete(key, job.object, purge_ticket);
        finish_inflight();
        co_return;
    }
    auto meta = meta_from_response(job, response, request_time_s, response_time_s);
    if (!origin_label.empty()) meta->set_origin_name(origin_label);
    auto facts = facts_of(response.status, response.headers);
    std::string key_of_slice;
    if (job.slice) {
        const auto verdict = judge_slice(job, response);
        if (verdict == SliceVerdict::refuse) {
            job.object->mark_private();
            job.object->set_head(*meta, 0);
            response.close();
            job.object->finish();
            finish_inflight();
            co_return;
        }
        if (verdict == SliceVerdict::whole_in_one_slice) make_whole(*meta, response, job);
        if (verdict == SliceVerdict::slice) {
            // A slice is fresh and storable as the 200 it is part of would be.
            apply_freshness(*meta, facts_of(200, response.headers), context.settings.heuristic_cap_s, job.revalidate_s);
            key_of_slice = slice::slice_key(job.base_key, job.slice->index);
        }
        if (verdict != SliceVerdict::whole) facts.status = 200;
    }
    bool storable = job.shareable && !policy::why_not_storable(job.request_facts, facts) &&
                    (meta->lifetime_s > 0 || !meta->etag().empty() || !meta->last_modified().empty()) &&
                    meta->content_length.value_or(0) <= context.settings.max_object_bytes;
    if (!storable) {
        job.object->mark_private();
        finish_inflight();
    } else if (!meta->vary().empty()) {
        context.memory.set_vary(job.base_key, std::string(meta->vary()));
    }
    const auto key = key_of_slice.empty() ? variant_key(job.base_key, meta->variant()) : key_of_slice;
    job.object->set_head(*meta, meta->content_length ? static_cast<std::size_t>(*meta->content_length) : 0);
    std::size_t received = 0;
    while (true) {
        const auto piece = co_await response.read_body();
        if (piece.error) {
            job.object->fail();
            finish_inflight();
            co_return;
        }
        received += piece.data.size();
        if (received > context.settings.max_object_bytes) storable = false;
        if (!piece.data.empty()) job.object->append(piece.data);
        if (piece.done) break;
    }
    response.close();
    job.object->finish();
    if (storable) context.store_complete(key, job.object, purge_ticket);
    finish_inflight();
}

}  // namespace udn::cache::server
