// One cached (or being-fetched) HTTP response: metadata plus a body kept in fixed blocks that
// are never moved once written, so readers can send them without copying while the fetcher
// keeps appending (a response streams to every waiting client while it fills). The object is
// also the rendezvous of request collapsing: every client that missed on the same key waits on
// the same object, and only one origin fetch fills it.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace udn::cache::store {

struct ObjectMeta {
    int status = 200;
    // End-to-end response header fields as stored (hop-by-hop, Content-Length, Age removed).
    std::vector<std::pair<std::string, std::string>> headers;
    // "HTTP/1.1 <status> <reason>\r\n" + every stored header line; built once, sent on each hit.
    std::string head_block;
    std::string etag;
    std::string last_modified;
    std::string vary;  // lower-case, comma-separated request header names; "*" = never reusable
    std::string variant;  // the values of those request headers this response was selected by
    std::int64_t request_time_s = 0;
    std::int64_t response_time_s = 0;
    std::int64_t corrected_initial_age_s = 0;
    std::int64_t lifetime_s = 0;
    std::int64_t stale_while_revalidate_s = 0;
    std::int64_t stale_if_error_s = 0;
    bool must_revalidate = false;  // also set by no-cache: never served stale, always validated
    std::optional<std::uint64_t> content_length;
    std::string origin_name;  // which mirror it came from (access log)

    std::int64_t age_s(std::int64_t now_s) const;
    // Rebuilds head_block from status and headers.
    void build_head_block();
};

// Body bytes in blocks that never move; `size` grows while the object fills.
struct Body {
    std::vector<std::pair<std::unique_ptr<char[]>, std::size_t>> blocks;  // data, capacity
    std::size_t size_bytes = 0;
    std::size_t capacity_bytes = 0;
};

class Object {
public:
    enum class State : std::uint8_t {
        pending,     // fetch started, no response head yet
        streaming,   // head known, body filling
        complete,    // whole body present; immutable from now on
        failed,      // the fetch failed (origin down, timeout, bad framing)
    };
    // How the fetch that filled the object ended, for Cache-Status and the access log.
    enum class Outcome : std::uint8_t { fetched, revalidated, stale_on_error };
    using Waker = std::function<void()>;

    Object() : body_(std::make_shared<Body>()) {}
    // A complete object with a known meta and body (disk promotion, 304 refresh).
    Object(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body);

    // Producer side (the one fetcher).
    void set_head(std::shared_ptr<const ObjectMeta> meta, std::size_t expected_body_bytes);
    void append(std::span<const char> data);
    void finish();
    void fail();
    // Completes the object with an existing body: a 304 refreshed `meta`, or stale content
    // served because the origin failed.
    void adopt(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body, Outcome outcome);
    // The response must not be shared: only the client that caused the fetch may read it;
    // collapsed waiters fetch on their own. Call before set_head.
    void mark_private() { private_.store(true, std::memory_order_release); }

    // Consumer side.
    State state() const { return state_.load(std::memory_order_acquire); }
    bool is_private() const { return private_.load(std::memory_order_acquire); }
    Outcome outcome() const { return outcome_.load(std::memory_order_acquire); }
    std::shared_ptr<const ObjectMeta> meta() const;
    std::size_t size_bytes() const;
    // Appends views of body bytes [offset, offset + max_bytes) that are present now; returns
    // how many bytes they cover. The views stay valid while the caller holds the object.
    std::size_t body_views(std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) const;
    // Registers `waker` to run once when the object changes (more bytes or a new state) after
    // the caller saw `seen_bytes` in `seen_state`; returns false (and does not register) when
    // it already changed.
    bool wait_for_change(std::size_t seen_bytes, State seen_state, Waker waker);

    std::shared_ptr<Body> body() const { return body_; }
    // Bytes this object costs in memory (for the store's budget).
    std::size_t memory_bytes() const;

private:
    void wake_all(std::unique_lock<std::mutex>& lock);

    mutable std::mutex mutex_;
    std::atomic<State> state_{State::pending};
    std::atomic<bool> private_{false};
    std::atomic<Outcome> outcome_{Outcome::fetched};
    std::shared_ptr<const ObjectMeta> meta_;
    std::shared_ptr<Body> body_;
    std::vector<Waker> waiters_;
};

}  // namespace udn::cache::store
