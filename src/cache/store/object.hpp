// One cached (or being-fetched) HTTP response: metadata plus a body. An object that fills keeps
// its body in fixed blocks that are never moved once written, so readers can send them without
// copying while the fetcher keeps appending (a response streams to every waiting client while
// it fills). The object is also the rendezvous of request collapsing: every client that missed
// on the same key waits on the same object, and only one origin fetch fills it. The memory
// tier keeps a compact copy instead: one block holding the object, its tier links, key,
// metadata text and (under 64 KiB) body, from the store's ObjectArena when one is given —
// docs/cache.md "Memory per cached object".
#pragma once
#include <atomic>
#include <cstring>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "cache/store/body.hpp"
#include "cache/store/object_arena.hpp"

namespace udn::cache::store {

// Stored response header fields, in arrival order (hop-by-hop, Content-Length, Age removed).
using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// Seconds kept in 32 bits, saturating instead of wrapping: Rep = std::int32_t for durations
// (up to 68 years), std::uint32_t for unix times (up to 2106). Reads and writes are int64.
template <class Rep>
class CompactSeconds {
public:
    CompactSeconds(std::int64_t seconds = 0) : value_(clamp(seconds)) {}  // NOLINT: a drop-in int64
    operator std::int64_t() const { return value_; }                       // NOLINT

private:
    static Rep clamp(std::int64_t seconds) {
        if (seconds < static_cast<std::int64_t>(std::numeric_limits<Rep>::min())) return std::numeric_limits<Rep>::min();
        if (seconds > static_cast<std::int64_t>(std::numeric_limits<Rep>::max())) return std::numeric_limits<Rep>::max();
        return static_cast<Rep>(seconds);
    }
    Rep value_;
};
using Seconds32 = CompactSeconds<std::int32_t>;
using UnixSeconds32 = CompactSeconds<std::uint32_t>;

// An optional byte count in 8 bytes (std::optional takes 16): the largest value means "none".
class OptionalLength {
public:
    OptionalLength() = default;
    OptionalLength(std::uint64_t bytes) : bytes_(bytes) {}  // NOLINT: as std::optional
    OptionalLength(std::optional<std::uint64_t> bytes) : bytes_(bytes.value_or(none)) {}  // NOLINT
    explicit operator bool() const { return bytes_ != none; }
    std::uint64_t operator*() const { return bytes_; }
    std::uint64_t value_or(std::uint64_t fallback) const { return bytes_ != none ? bytes_ : fallback; }
    bool operator==(std::uint64_t bytes) const { return bytes_ != none && bytes_ == bytes; }

private:
    static constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t bytes_ = none;
};

// What the cache keeps about a response besides its body. All its text (the head block sent
// on every hit, vary, variant, origin name) is one buffer: owned by a meta that stands alone,
// lent by the compact object that holds a stored one.
class ObjectMeta {
public:
    ObjectMeta() = default;
    ObjectMeta(const ObjectMeta& other);
    ObjectMeta& operator=(const ObjectMeta& other);
    ObjectMeta(ObjectMeta&& other) noexcept;
    ObjectMeta& operator=(ObjectMeta&& other) noexcept;
    ~ObjectMeta();

    UnixSeconds32 request_time_s;
    UnixSeconds32 response_time_s;
    Seconds32 corrected_initial_age_s;
    Seconds32 lifetime_s;
    Seconds32 stale_while_revalidate_s;
    Seconds32 stale_if_error_s;
    OptionalLength content_length;
    int status = 200;
    bool must_revalidate = false;  // also set by no-cache: never served stale, always validated

    std::int64_t age_s(std::int64_t now_s) const;
    // Stores the status and header fields as the head block sent on every hit, the only copy
    // of the fields: a cached object costs its head once, not a parsed list beside it.
    void set_head(int status_code, const HeaderFields& fields);
    // "HTTP/1.1 <status> <reason>\r\n" + one "Name: value\r\n" line per stored field.
    std::string_view head_block() const { return part(0); }
    // The stored fields, read back from the head block (304 merges, the disk tier's file).
    std::vector<std::pair<std::string_view, std::string_view>> fields() const;
    // A stored field's value ("" when absent); these are read on conditional requests only,
    // so they are found in the head block rather than kept as offsets beside it.
    std::string_view etag() const { return field("etag"); }
    std::string_view last_modified() const { return field("last-modified"); }

    // Lower-case, comma-separated request header names; "*" = never reusable. A vary or
    // variant over 64 KiB (no parsed head is that long) is stored as vary "*", variant "".
    std::string_view vary() const { return part(1); }
    // The values of those request headers this response was selected by.
    std::string_view variant() const { return part(2); }
    // Which mirror it came from (access log).
    std::string_view origin_name() const { return part(3); }
    void set_vary(std::string_view vary) { set_part(1, vary); }
    void set_variant(std::string_view variant) { set_part(2, variant); }
    void set_origin_name(std::string_view name) { set_part(3, name); }

private:
    friend class Object;
    static constexpr std::size_t part_count = 4;  // head block, vary, variant, origin name

    std::string_view part(std::size_t index) const;
    void set_part(std::size_t index, std::string_view value);
    std::string_view field(std::string_view lower_name) const;
    std::size_t text_bytes() const;
    // Becomes a copy of `source` whose text is copied to `place` and lent, not owned (the meta
    // of a compact object, whose allocation holds the text).
    void copy_with_text_at(const ObjectMeta& source, char* place);
    // Every field but the text: the one list a new field must be added to.
    void copy_values_from(const ObjectMeta& source);
    void release_text();

    // A part's length: the head block's in 32 bits, the others' in 16 (8 bytes less per
    // cached object; their sources are bounded far below: response heads 32 KiB, request
    // heads 16 KiB, origin names by the config).
    std::size_t part_bytes(std::size_t index) const { return index == 0 ? head_bytes_ : short_part_bytes_[index - 1]; }
    void copy_part_bytes_from(const ObjectMeta& source);

    bool owns_text_ = false;
    std::uint16_t short_part_bytes_[part_count - 1] = {};
    std::uint32_t head_bytes_ = 0;
    const char* text_ = nullptr;
};

class Object;

// Shared ownership of an Object through a count inside it: unlike std::shared_ptr, no control
// block beside the object, so a compact object is exactly one allocation.
class ObjectPtr {
public:
    ObjectPtr() = default;
    ObjectPtr(std::nullptr_t) {}  // NOLINT: as a null pointer
    ObjectPtr(const ObjectPtr& other);
    ObjectPtr(ObjectPtr&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
    ObjectPtr& operator=(ObjectPtr other) noexcept {
        std::swap(object_, other.object_);
        return *this;
    }
    ~ObjectPtr();

    Object* get() const { return object_; }
    Object* operator->() const { return object_; }
    Object& operator*() const { return *object_; }
    explicit operator bool() const { return object_ != nullptr; }
    bool operator==(std::nullptr_t) const { return object_ == nullptr; }
    bool operator==(const ObjectPtr& other) const { return object_ == other.object_; }

private:
    friend class Object;
    explicit ObjectPtr(Object* adopted) : object_(adopted) {}
    Object* object_ = nullptr;
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

    // An empty object for one fetcher to fill.
    static ObjectPtr create();
    // A complete object with a known meta and body (disk promotion).
    static ObjectPtr create_complete(ObjectMeta meta, std::shared_ptr<Body> body);
    // The memory tier's form of a complete object, stored under `key`: one block with the
    // key, the meta's text and a body under file_body_min_bytes copied behind the object; a
    // larger body (a memory file, or heap blocks) is shared, not copied. The block comes from
    // `arena` when given and the object fits its classes, else from the heap.
    static ObjectPtr compact_copy(const Object& complete, std::string_view key, ObjectArena* arena = nullptr);

    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    // Producer side (the one fetcher).
    void set_head(ObjectMeta meta, std::size_t expected_body_bytes);
    void append(std::span<const char> data);
    void finish();
    void fail();
    // Completes the object with an existing body: a 304 refreshed `meta`, or stale content
    // served because the origin failed.
    void adopt(ObjectMeta meta, std::shared_ptr<Body> body, Outcome outcome);
    // The response must not be shared: only the client that caused the fetch may read it;
    // collapsed waiters fetch on their own. Call before set_head.
    void mark_private() { private_.store(true, std::memory_order_release); }

    // Consumer side.
    State state() const { return state_.load(std::memory_order_acquire); }
    bool is_private() const { return private_.load(std::memory_order_acquire); }
    Outcome outcome() const { return outcome_.load(std::memory_order_acquire); }
    // Null until the head is known; once set it never changes, and stays valid while the
    // caller holds the object.
    const ObjectMeta* meta() const;
    std::size_t size_bytes() const;
    // Appends views of body bytes [offset, offset + max_bytes) that are present now; returns
    // how many bytes they cover. The views stay valid while the caller holds the object.
    std::size_t body_views(std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) const;
    // The memory file holding the whole complete body (for sendfile(2)), or -1.
    int body_file_fd() const;
    // Registers `waker` to run once when the object changes (more bytes or a new state) after
    // the caller saw `seen_bytes` in `seen_state`; returns false (and does not register) when
    // it already changed, or when the object was made complete and can never change.
    bool wait_for_change(std::size_t seen_bytes, State seen_state, Waker waker);

    // The body as shareable blocks: the object's own Body, or for a compact object whose body
    // is inline a copy of it (304 refreshes and stale-on-error, the disk tier's writer).
    std::shared_ptr<Body> body() const;
    // Bytes this object costs in memory (for the store's budget).
    std::size_t memory_bytes() const;
    // The key a compact object is stored under ("" for others).
    std::string_view stored_key() const { return {key_start(), key_bytes_}; }

private:
    friend class ObjectPtr;
    friend class MemoryStore;

    // A body kept in Body blocks (every object that fills, and stored objects of 64 KiB or
    // more) and the clients waiting for it to grow.
    struct BlockBody {
        std::shared_ptr<Body> body;
        std::vector<Waker> waiters;
    };

    Object() = default;
    ~Object();
    // An object with `tail_bytes` behind it for key, meta text and inline body, and before
    // those (with_blocks) the pointer to its BlockBody; from `arena` when it has a class for
    // the size.
    static ObjectPtr allocate(std::size_t tail_bytes, bool with_blocks, ObjectArena* arena = nullptr);
    void release();
    // The bytes behind the object in its block: [BlockBody*] key, meta text, inline body.
    const char* tail() const { return static_cast<const char*>(static_cast<const void*>(this + 1)); }
    char* tail() { return static_cast<char*>(static_cast<void*>(this + 1)); }
    const char* key_start() const { return tail() + (has_blocks_ ? sizeof(BlockBody*) : 0); }
    std::span<const char> inline_body() const { return {key_start() + key_bytes_ + meta_.text_bytes(), inline_body_bytes_}; }
    // The block body (null when the body is inline). The pointer sits in the tail so that
    // the compact objects with an inline body, nearly all stored ones, do not carry it.
    BlockBody* blocks() const {
        if (!has_blocks_) return nullptr;
        BlockBody* blocks = nullptr;
        std::memcpy(&blocks, tail(), sizeof(blocks));
        return blocks;
    }
    void wake_all(std::unique_lock<std::mutex>& lock);
    // Objects share a small array of locks (picked by address) instead of one each: a lock is
    // only contended while an object fills, and 40 bytes per cached object add up. Objects
    // made complete (immutable_) are read without it.
    std::mutex& mutex() const;

    std::atomic<std::uint32_t> references_{1};
    std::atomic<State> state_{State::pending};
    std::atomic<bool> private_{false};
    std::atomic<Outcome> outcome_{Outcome::fetched};
    bool immutable_ = false;  // created complete: meta and body never change
    bool has_meta_ = false;
    // The memory tier's bookkeeping (MemoryStore only): segment, hash, LRU neighbours.
    bool is_protected_ = false;
    bool has_blocks_ = false;  // the tail starts with a BlockBody* (owned)
    bool in_arena_ = false;    // the block came from an ObjectArena, not the heap
    std::uint32_t key_hash_ = 0;
    std::uint32_t key_bytes_ = 0;  // behind the object: key, meta text, inline body
    std::uint32_t inline_body_bytes_ = 0;
    Object* newer_ = nullptr;
    Object* older_ = nullptr;
    ObjectMeta meta_;
};

inline ObjectPtr::ObjectPtr(const ObjectPtr& other) : object_(other.object_) {
    if (object_) object_->references_.fetch_add(1, std::memory_order_relaxed);
}

inline ObjectPtr::~ObjectPtr() {
    if (object_) object_->release();
}

}  // namespace udn::cache::store
