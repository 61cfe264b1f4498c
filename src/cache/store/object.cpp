// Cached objects that fill while being read; see object.hpp.
#include "cache/store/object.hpp"

#include <algorithm>
#include <cstring>

#include "cache/http/status.hpp"

namespace udn::cache::store {

std::int64_t ObjectMeta::age_s(std::int64_t now_s) const {
    return corrected_initial_age_s + std::max<std::int64_t>(0, now_s - response_time_s);
}

void ObjectMeta::build_head_block() {
    head_block = "HTTP/1.1 ";
    head_block += std::to_string(status);
    head_block += ' ';
    head_block += http::reason_phrase(status);
    head_block += "\r\n";
    for (const auto& [name, value] : headers) {
        head_block += name;
        head_block += ": ";
        head_block += value;
        head_block += "\r\n";
    }
}

Object::Object(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body)
    : state_(State::complete), meta_(std::move(meta)), body_(std::move(body)) {}

void Object::set_head(std::shared_ptr<const ObjectMeta> meta, std::size_t expected_body_bytes) {
    std::unique_lock lock(mutex_);
    meta_ = std::move(meta);
    // Known lengths get one exact block (no slack per object); unknown ones grow in 64 KiB steps.
    if (expected_body_bytes > 0) {
        const auto first = std::min<std::size_t>(expected_body_bytes, 1 << 20);
        body_->blocks.emplace_back(std::make_unique_for_overwrite<char[]>(first), first);
        body_->capacity_bytes += first;
    }
    state_.store(State::streaming, std::memory_order_release);
    wake_all(lock);
}

void Object::append(std::span<const char> data) {
    std::unique_lock lock(mutex_);
    auto& body = *body_;
    while (!data.empty()) {
        if (body.size_bytes == body.capacity_bytes) {
            const std::size_t block = 64 * 1024;
            body.blocks.emplace_back(std::make_unique_for_overwrite<char[]>(block), block);
            body.capacity_bytes += block;
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
    std::unique_lock lock(mutex_);
    state_.store(State::complete, std::memory_order_release);
    wake_all(lock);
}

void Object::fail() {
    std::unique_lock lock(mutex_);
    state_.store(State::failed, std::memory_order_release);
    wake_all(lock);
}

void Object::adopt(std::shared_ptr<const ObjectMeta> meta, std::shared_ptr<Body> body, Outcome outcome) {
    std::unique_lock lock(mutex_);
    meta_ = std::move(meta);
    body_ = std::move(body);
    outcome_.store(outcome, std::memory_order_release);
    state_.store(State::complete, std::memory_order_release);
    wake_all(lock);
}

std::shared_ptr<const ObjectMeta> Object::meta() const {
    std::lock_guard lock(mutex_);
    return meta_;
}

std::size_t Object::size_bytes() const {
    std::lock_guard lock(mutex_);
    return body_->size_bytes;
}

std::size_t Object::body_views(std::size_t offset, std::size_t max_bytes, std::vector<std::span<const char>>& out) const {
    std::lock_guard lock(mutex_);
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
    std::lock_guard lock(mutex_);
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
    std::lock_guard lock(mutex_);
    std::size_t bytes = sizeof(Object) + sizeof(Body) + body_->capacity_bytes +
                        body_->blocks.capacity() * sizeof(body_->blocks[0]);
    if (meta_) {
        bytes += sizeof(ObjectMeta) + meta_->head_block.capacity() + meta_->etag.capacity() +
                 meta_->last_modified.capacity() + meta_->vary.capacity();
        for (const auto& [name, value] : meta_->headers) bytes += sizeof(name) * 2 + name.capacity() + value.capacity();
    }
    return bytes;
}

}  // namespace udn::cache::store
