// The fetch task that fills one object from the origin: runs detached from any client (the
// client that caused it may go away while collapsed clients still read), revalidates stale
// objects (304 refreshes the stored headers), falls back to stale content when the origin
// fails within stale-if-error, and stores what RFC 9111 lets a shared cache store.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cache/http/request_parser.hpp"
#include "cache/origin/client.hpp"
#include "cache/policy/freshness.hpp"
#include "cache/server/context.hpp"
#include "cache/store/object.hpp"

namespace udn::cache::server {

struct FillJob {
    Context* context = nullptr;
    store::ObjectPtr object;
    std::string base_key;         // route key without variant
    std::string inflight_key;     // key registered in Inflight ("" = not registered)
    std::vector<const config::Origin*> origins;
    origin::OriginRequest request;
    // Request header fields (lower-case name, value) that a Vary in the response may select on.
    std::vector<std::pair<std::string, std::string>> request_headers;
    store::ObjectPtr stale;  // the stored object being revalidated, if any
    std::int64_t request_stale_if_error_s = 0;
    bool shareable = true;        // false: a pass-through fetch, never stored
    // An unsafe method's fetch (POST, PUT, PATCH, DELETE): a non-error answer invalidates the URL
    // (RFC 9111 section 4.4) as soon as it arrives, before any client sees it, so that a request
    // sent after the answer was received is a fetch that stores again.
    bool invalidates = false;
    std::uint32_t revalidate_s = 0;
    policy::RequestFacts request_facts;
    // A memory front asks its disk back first with this head (the client's Host and target,
    // keep-alive), and the origins with `request` only when the back is down; "" = origins.
    std::string backend_head;
    std::shared_ptr<FetchNote> note;  // filled for the clients of this fetch; may be null
    // A fetch of one slice of a large object (the site's slice_bytes, docs/cache.md "Slices"):
    // the request asks for its Range; a 206 for exactly that slice is stored under its slice
    // key. A 200 (no range support) is stored whole as usual, and a 206 covering the whole
    // object becomes a plain 200 object. Anything else (416, a 206 of another range, without a
    // validator, with a Vary) is refused: marked private, not stored, no body read; the
    // exchange notices and falls back or closes.
    struct Slice {
        std::uint64_t index = 0;
        std::uint64_t slice_bytes = 0;
        // The validator of the slices stored so far ("" = none): a response with another one
        // (or no slice at all) means the object changed, and every stored slice is dropped.
        std::string validator;
    };
    std::optional<Slice> slice;
};

awaitable<void> fill(FillJob job);

// "<name>\x1e<value>..." of the request's values for the lower-case names in `vary`.
std::string variant_of(std::string_view vary, const std::vector<std::pair<std::string, std::string>>& request_headers);
std::string variant_key(std::string_view base_key, std::string_view variant);
// The request's header fields as (lower-case name, value), what variant_of selects from.
std::vector<std::pair<std::string, std::string>> lower_headers(const http::RequestHead& head);

// Freshness facts and metadata from a response's status and stored headers.
policy::ResponseFacts facts_of(int status, const std::vector<std::pair<std::string, std::string>>& headers);
void apply_freshness(store::ObjectMeta& meta, const policy::ResponseFacts& facts, std::int64_t heuristic_cap_s,
                     std::uint32_t revalidate_s);
bool is_hop_by_hop(std::string_view name);

}  // namespace udn::cache::server
