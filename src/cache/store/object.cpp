// Cached objects that fill while being read; see object.hpp.
#include "cache/store/object.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "cache/http/status.hpp"
#include "cache/http/syntax.hpp"

namespace udn::cache::store {

std::int64_t ObjectMeta::age_s(std::int64_t now_s) const {
    return corrected_initial_age_s + std::max<std::int64_t>(0, now_s - response_time_s);
}

void ObjectMeta::set_head(int status_code, const HeaderFields& fields) {
    status = status_code;
    std::size_t bytes = 32;
    for (const auto& [name, value] : fields) bytes += name.size() + value.size() + 4;
    head_block_.clear();
    head_block_.reserve(bytes);
    head_block_ += "HTTP/1.1 ";
    head_block_ += std::to_string(status);
    head_block_ += ' ';
    head_block_ += http::reason_phrase(status);
    head_block_ += "\r\n";
    etag_ = {};
    last_modified_ = {};
    for (const auto& [name, value] : fields) {
        head_block_ += name;
        head_block_ += ": ";
        const Slice slice{static_cast<std::uint32_t>(head_block_.size()), static_cast<std::uint32_t>(value.size())};
        if (http::iequals(name, "etag")) etag_ = slice;
        else if (http::iequals(name, "last-modified")) last_modified_ = slice;
        head_block_ += value;
        head_block_ += "\r\n";
    }
    head_block_.shrink_to_fit();
}

std::vector<std::pair<std::string_view, std::string_view>> ObjectMeta::fields() const {
    std::vector<std::pair<std::string_view, std::string_view>> result;
    std::string_view rest(head_block_);
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

std::mutex& Object::mutex() const {
    static std::array<std::mutex, 64> stripes;
    const auto address = reinterpret_cast<std::uintptr_t>(this);
    return stripes[(address >> 6) % stripes.size()];
}

Object::Object(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body)
    : state_(State::complete), meta_(std::move(meta)), body_(std::move(body)) {}

void Object::set_head(std::shared_ptr<const ObjectMeta> meta, std::size_t expected_body_bytes) {
    std::unique_lock lock(mutex());
    meta_ = std::move(meta);
    // Unknown lengths grow in 64 KiB steps.
    if (expected_body_bytes > 0) body_->add_first_block(expected_body_bytes);
    state_.store(State::streaming, std::memory_order_release);
    wake_all(lock);
}

void Object::append(std::span<const char> data) {
    std::unique_lock lock(mutex());
    auto& body = *body_;
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

void Object::adopt(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body, Outcome outcome) {
    std::unique_lock lock(mutex());
    meta_ = std::move(meta);
    body_ = std::move(body);
    outcome_.store(outcome, std::memory_order_release);
    state_.store(State::complete, std::memory_order_release);
    wake_all(lock);
}

std::shared_ptr<const ObjectMeta> Object::meta() const {
    std::lock_guard lock(mutex());
    return meta_;
}

std::size_t Object::size_bytes() const {
    std::lock_guard lock(mutex());
    return body_->size_bytes;
}

std::size_t Object::body_views(std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) const {
    std::lock_guard lock(mutex());
    const auto& body = *body_;
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

bool Object::wait_for_change(std::size_t seen_bytes, State seen_state, Waker waker) {
    std::lock_guard lock(mutex());
    if (body_->size_bytes != seen_bytes || state_.load(std::memory_order_relaxed) != seen_state) return false;
    waiters_.push_back(std::move(waker));
    return true;
}

void Object::wake_all(std::unique_lock<std::mutex>& lock) {
    if (waiters_.empty()) return;
    auto waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    for (auto& waker : waiters) waker();
}

std::size_t Object::memory_bytes() const {
    std::lock_guard lock(mutex());
    std::size_t bytes = sizeof(Object) + sizeof(Body) + body_->capacity_bytes +
                        body_->blocks.capacity() * sizeof(body_->blocks[0]);
    if (meta_) {
        bytes += sizeof(ObjectMeta) + meta_->head_block().capacity() + meta_->vary.capacity() +
                 meta_->variant.capacity();
    }
    return bytes;
}

}  // namespace udn::cache::store
