// Cached objects that fill while being read, and their compact stored form; see object.hpp.
#include "cache/store/object.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

#include "cache/http/status.hpp"
#include "cache/http/syntax.hpp"

namespace udn::cache::store {

// ---- ObjectMeta ----

ObjectMeta::ObjectMeta(const ObjectMeta& other) {
    copy_values_from(other);
    const auto bytes = other.text_bytes();
    if (bytes > 0) {
        char* text = new char[bytes];
        std::memcpy(text, other.text_, bytes);
        text_ = text;
        owns_text_ = true;
    }
    copy_part_bytes_from(other);
}

ObjectMeta& ObjectMeta::operator=(const ObjectMeta& other) {
    if (this != &other) *this = ObjectMeta(other);
    return *this;
}

ObjectMeta::ObjectMeta(ObjectMeta&& other) noexcept : ObjectMeta() { *this = std::move(other); }

ObjectMeta& ObjectMeta::operator=(ObjectMeta&& other) noexcept {
    if (this == &other) return *this;
    if (!other.owns_text_ && other.text_ != nullptr) {
        // Lent text belongs to the object holding `other`: this meta gets its own copy.
        *this = static_cast<const ObjectMeta&>(other);
        return *this;
    }
    release_text();
    copy_values_from(other);
    text_ = std::exchange(other.text_, nullptr);
    owns_text_ = std::exchange(other.owns_text_, false);
    copy_part_bytes_from(other);
    std::fill(std::begin(other.short_part_bytes_), std::end(other.short_part_bytes_), 0);
    other.head_bytes_ = 0;
    return *this;
}

ObjectMeta::~ObjectMeta() { release_text(); }

void ObjectMeta::copy_values_from(const ObjectMeta& source) {
    request_time_s = source.request_time_s;
    response_time_s = source.response_time_s;
    corrected_initial_age_s = source.corrected_initial_age_s;
    lifetime_s = source.lifetime_s;
    stale_while_revalidate_s = source.stale_while_revalidate_s;
    stale_if_error_s = source.stale_if_error_s;
    content_length = source.content_length;
    status = source.status;
    must_revalidate = source.must_revalidate;
}

void ObjectMeta::release_text() {
    if (owns_text_) delete[] text_;
    text_ = nullptr;
    owns_text_ = false;
    std::fill(std::begin(short_part_bytes_), std::end(short_part_bytes_), 0);
    head_bytes_ = 0;
}

void ObjectMeta::copy_part_bytes_from(const ObjectMeta& source) {
    std::copy(std::begin(source.short_part_bytes_), std::end(source.short_part_bytes_), short_part_bytes_);
    head_bytes_ = source.head_bytes_;
}

std::size_t ObjectMeta::text_bytes() const {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < part_count; ++i) bytes += part_bytes(i);
    return bytes;
}

std::string_view ObjectMeta::part(std::size_t index) const {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < index; ++i) offset += part_bytes(i);
    return part_bytes(index) == 0 ? std::string_view() : std::string_view(text_ + offset, part_bytes(index));
}

void ObjectMeta::set_part(std::size_t index, std::string_view value) {
    constexpr std::size_t short_max = std::numeric_limits<std::uint16_t>::max();
    if (index > 0 && value.size() > short_max) {
        if (index == 3) {
            value = value.substr(0, short_max);  // a name for the access log
        } else {
            // A selection that cannot be stored must never be matched: never reusable.
            set_part(2, {});
            set_part(1, "*");
            return;
        }
    }
    std::array<std::string_view, part_count> parts;
    for (std::size_t i = 0; i < part_count; ++i) parts[i] = part(i);
    parts[index] = value;
    std::size_t bytes = 0;
    for (const auto item : parts) bytes += item.size();
    char* text = bytes > 0 ? new char[bytes] : nullptr;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < part_count; ++i) {
        if (!parts[i].empty()) std::memcpy(text + offset, parts[i].data(), parts[i].size());
        offset += parts[i].size();
    }
    release_text();
    text_ = text;
    owns_text_ = text != nullptr;
    head_bytes_ = static_cast<std::uint32_t>(parts[0].size());
    for (std::size_t i = 1; i < part_count; ++i) short_part_bytes_[i - 1] = static_cast<std::uint16_t>(parts[i].size());
}

void ObjectMeta::copy_with_text_at(const ObjectMeta& source, char* place) {
    release_text();
    copy_values_from(source);
    const auto bytes = source.text_bytes();
    if (bytes > 0) std::memcpy(place, source.text_, bytes);
    text_ = place;
    copy_part_bytes_from(source);
}

std::int64_t ObjectMeta::age_s(std::int64_t now_s) const {
    return corrected_initial_age_s + std::max<std::int64_t>(0, now_s - response_time_s);
}

void ObjectMeta::set_head(int status_code, const HeaderFields& fields) {
    status = status_code;
    std::size_t bytes = 32;
    for (const auto& [name, value] : fields) bytes += name.size() + value.size() + 4;
    std::string head;
    head.reserve(bytes);
    head += "HTTP/1.1 ";
    head += std::to_string(status);
    head += ' ';
    head += http::reason_phrase(status);
    head += "\r\n";
    for (const auto& [name, value] : fields) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    set_part(0, head);
}

std::vector<std::pair<std::string_view, std::string_view>> ObjectMeta::fields() const {
    std::vector<std::pair<std::string_view, std::string_view>> result;
    std::string_view rest = head_block();
    rest.remove_prefix(std::min(rest.size(), rest.find("\r\n") + 2));  // the status line
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        const auto line = rest.substr(0, end);
        const auto colon = line.find(": ");
        if (colon != std::string_view::npos) result.emplace_back(line.substr(0, colon), line.substr(colon + 2));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 2);
    }
    return result;
}

std::string_view ObjectMeta::field(std::string_view lower_name) const {
    for (const auto& [name, value] : fields()) {
        if (http::iequals(name, lower_name)) return value;
    }
    return {};
}

// ---- Object ----

ObjectPtr Object::allocate(std::size_t tail_bytes, bool with_blocks, ObjectArena* arena) {
    const std::size_t bytes = sizeof(Object) + (with_blocks ? sizeof(BlockBody*) : 0) + tail_bytes;
    void* raw = arena ? arena->allocate(bytes) : nullptr;
    const bool in_arena = raw != nullptr;
    if (!in_arena) raw = ::operator new(bytes);
    auto* object = new (raw) Object();
    object->in_arena_ = in_arena;
    if (with_blocks) {
        // Made before has_blocks_ is set: if it throws, the object is freed without it.
        ObjectPtr owner(object);
        auto* blocks = new BlockBody();
        std::memcpy(object->tail(), &blocks, sizeof(blocks));
        object->has_blocks_ = true;
        return owner;
    }
    return ObjectPtr(object);
}

Object::~Object() { delete blocks(); }

void Object::release() {
    if (references_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    const bool in_arena = in_arena_;
    this->~Object();
    if (in_arena) ObjectArena::deallocate(this);
    else ::operator delete(static_cast<void*>(this));
}

ObjectPtr Object::create() {
    auto object = allocate(0, true);
    object->blocks()->body = std::make_shared<Body>();
    return object;
}

ObjectPtr Object::create_complete(ObjectMeta meta, std::shared_ptr<Body> body) {
    auto object = allocate(0, true);
    object->meta_ = std::move(meta);
    object->has_meta_ = true;
    object->immutable_ = true;
    object->blocks()->body = std::move(body);
    object->state_.store(State::complete, std::memory_order_release);
    return object;
}

ObjectPtr Object::compact_copy(const Object& complete, std::string_view key, ObjectArena* arena) {
    const ObjectMeta& meta = *complete.meta();
    const std::size_t body_bytes = complete.size_bytes();
    const bool body_inline = body_bytes < file_body_min_bytes;
    auto copy = allocate(key.size() + meta.text_bytes() + (body_inline ? body_bytes : 0), !body_inline, arena);
    Object& object = *copy;
    char* place = object.tail() + (body_inline ? 0 : sizeof(BlockBody*));
    if (!key.empty()) std::memcpy(place, key.data(), key.size());
    object.key_bytes_ = static_cast<std::uint32_t>(key.size());
    object.meta_.copy_with_text_at(meta, place + key.size());
    if (body_inline) {
        std::vector<std::span<const char>> views;
        complete.body_views(0, body_bytes, views);
        char* to = place + key.size() + meta.text_bytes();
        for (const auto& view : views) {
            std::memcpy(to, view.data(), view.size());
            to += view.size();
        }
        object.inline_body_bytes_ = static_cast<std::uint32_t>(body_bytes);
    } else {
        object.blocks()->body = complete.body();
    }
    object.has_meta_ = true;
    object.immutable_ = true;
    object.outcome_.store(complete.outcome(), std::memory_order_relaxed);
    object.state_.store(State::complete, std::memory_order_release);
    return copy;
}

std::mutex& Object::mutex() const {
    static std::array<std::mutex, 64> stripes;
    const auto address = reinterpret_cast<std::uintptr_t>(this);
    return stripes[(address >> 6) % stripes.size()];
}

void Object::set_head(ObjectMeta meta, std::size_t expected_body_bytes) {
    std::unique_lock lock(mutex());
    meta_ = std::move(meta);
    has_meta_ = true;
    // Unknown lengths grow in 64 KiB steps.
    if (expected_body_bytes > 0) blocks()->body->add_first_block(expected_body_bytes);
    state_.store(State::streaming, std::memory_order_release);
    wake_all(lock);
}

void Object::append(std::span<const char> data) {
    std::unique_lock lock(mutex());
    auto& body = *blocks()->body;
    while (!data.empty()) {
        if (body.size_bytes == body.capacity_bytes) {
            body.add_heap_block(64 * 1024);
        }
        // Find the block holding offset size_bytes: blocks are filled in order, so it is the
        // first block whose end lies beyond size_bytes.
        std::size_t block_start = body.capacity_bytes;
        std::size_t index = body.blocks.size();
        while (index > 0 && block_start > body.size_bytes) {
            --index;
            block_start -= body.blocks[index].second;
        }
        auto& [bytes, capacity] = body.blocks[index];
        const std::size_t offset_in_block = body.size_bytes - block_start;
        const std::size_t take = std::min(capacity - offset_in_block, data.size());
        std::memcpy(bytes.get() + offset_in_block, data.data(), take);
        body.size_bytes += take;
        data = data.subspan(take);
    }
    wake_all(lock);
}

void Object::finish() {
    std::unique_lock lock(mutex());
    state_.store(State::complete, std::memory_order_release);
    wake_all(lock);
}

void Object::fail() {
    std::unique_lock lock(mutex());
    state_.store(State::failed, std::memory_order_release);
    wake_all(lock);
}

void Object::adopt(ObjectMeta meta, std::shared_ptr<Body> body, Outcome outcome) {
    std::unique_lock lock(mutex());
    meta_ = std::move(meta);
    has_meta_ = true;
    blocks()->body = std::move(body);
    outcome_.store(outcome, std::memory_order_release);
    state_.store(State::complete, std::memory_order_release);
    wake_all(lock);
}

const ObjectMeta* Object::meta() const {
    if (immutable_) return &meta_;
    std::lock_guard lock(mutex());
    return has_meta_ ? &meta_ : nullptr;
}

std::size_t Object::size_bytes() const {
    if (!has_blocks_) return inline_body_bytes_;
    if (immutable_) return blocks()->body->size_bytes;
    std::lock_guard lock(mutex());
    return blocks()->body->size_bytes;
}

namespace {

std::size_t views_of(const Body& body, std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) {
    std::size_t covered = 0;
    std::size_t block_start = 0;
    for (const auto& [bytes, capacity] : body.blocks) {
        if (covered >= max_bytes || block_start >= body.size_bytes) break;
        const std::size_t block_end = std::min(block_start + capacity, body.size_bytes);
        if (offset + covered < block_end) {
            const std::size_t from = offset + covered - block_start;
            const std::size_t take = std::min(block_end - block_start - from, max_bytes - covered);
            out.emplace_back(bytes.get() + from, take);
            covered += take;
        }
        block_start += capacity;
    }
    return covered;
}

}  // namespace

std::size_t Object::body_views(std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) const {
    if (!has_blocks_) {
        const auto body = inline_body();
        if (offset >= body.size() || max_bytes == 0) return 0;
        const auto take = std::min(body.size() - offset, max_bytes);
        out.push_back(body.subspan(offset, take));
        return take;
    }
    if (immutable_) return views_of(*blocks()->body, offset, max_bytes, out);
    std::lock_guard lock(mutex());
    return views_of(*blocks()->body, offset, max_bytes, out);
}

int Object::body_file_fd() const {
    if (!has_blocks_ || state() != State::complete) return -1;
    const auto fd = [this] { return blocks()->body->in_file() ? blocks()->body->file_fd : -1; };
    if (immutable_) return fd();
    std::lock_guard lock(mutex());
    return fd();
}

bool Object::wait_for_change(std::size_t seen_bytes, State seen_state, Waker waker) {
    if (immutable_) return false;
    std::lock_guard lock(mutex());
    if (blocks()->body->size_bytes != seen_bytes || state_.load(std::memory_order_relaxed) != seen_state) return false;
    blocks()->waiters.push_back(std::move(waker));
    return true;
}

void Object::wake_all(std::unique_lock<std::mutex>& lock) {
    if (blocks()->waiters.empty()) return;
    auto waiters = std::move(blocks()->waiters);
    blocks()->waiters.clear();
    lock.unlock();
    for (auto& waker : waiters) waker();
}

std::shared_ptr<Body> Object::body() const {
    if (!has_blocks_) {
        auto copy = std::make_shared<Body>();
        const auto bytes = inline_body();
        if (!bytes.empty()) {
            copy->add_heap_block(bytes.size());
            std::memcpy(copy->blocks.front().first.get(), bytes.data(), bytes.size());
            copy->size_bytes = bytes.size();
        }
        return copy;
    }
    if (immutable_) return blocks()->body;
    std::lock_guard lock(mutex());
    return blocks()->body;
}

std::size_t Object::memory_bytes() const {
    // A compact object's key, meta text and inline body are its tail, in a block of its arena
    // class; an object that fills owns a separate copy of the meta text (and has no key or
    // inline body).
    const auto bytes = [this] {
        const std::size_t block = sizeof(Object) + (has_blocks_ ? sizeof(BlockBody*) : 0) + key_bytes_ +
                                  (meta_.owns_text_ ? 0 : meta_.text_bytes()) + inline_body_bytes_;
        std::size_t total = (in_arena_ ? ObjectArena::block_bytes_for(block) : block) + (meta_.owns_text_ ? meta_.text_bytes() : 0);
        if (has_blocks_) {
            const auto& body = *blocks()->body;
            total += sizeof(BlockBody) + sizeof(Body) + body.capacity_bytes + body.blocks.capacity() * sizeof(body.blocks[0]);
        }
        return total;
    };
    if (immutable_) return bytes();
    std::lock_guard lock(mutex());
    return bytes();
}

}  // namespace udn::cache::store
