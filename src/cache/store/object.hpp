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
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "cache/store/body.hpp"

namespace udn::cache::store {

// Stored response header fields, in arrival order (hop-by-hop, Content-Length, Age removed).
using HeaderFields = std::vector<std::pair<std::string, std::string>>;

struct ObjectMeta {
    int status = 200;
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
    // Stores the status and header fields as the head block sent on every hit, the only copy
    // of the fields: a cached object costs its head once, not a parsed list beside it.
    void set_head(int status_code, const HeaderFields& fields);
    // "HTTP/1.1 <status> <reason>\r\n" + one "Name: value\r\n" line per stored field.
    const std::string& head_block() const { return head_block_; }
    // The stored fields, read back from the head block (304 merges, the disk tier's file).
    std::vector<std::pair<std::string_view, std::string_view>> fields() const;
    std::string_view etag() const { return view_of(etag_); }
    std::string_view last_modified() const { return view_of(last_modified_); }

private:
    struct Slice {
        std::uint32_t offset = 0;
        std::uint32_t bytes = 0;
    };
    std::string_view view_of(Slice slice) const { return std::string_view(head_block_).substr(slice.offset, slice.bytes); }

    std::string head_block_;
    Slice etag_;
    Slice last_modified_;
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
    // Objects share a small array of locks (picked by address) instead of one each: a lock is
    // only contended while an object fills, and 40 bytes per cached object add up.
    std::mutex& mutex() const;

    std::atomic<State> state_{State::pending};
    std::atomic<bool> private_{false};
    std::atomic<Outcome> outcome_{Outcome::fetched};
    std::shared_ptr<const ObjectMeta> meta_;
    std::shared_ptr<Body> body_;
    std::vector<Waker> waiters_;
};

}  // namespace udn::cache::store
