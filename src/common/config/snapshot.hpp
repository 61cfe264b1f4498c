// An immutable value shared between threads and replaced atomically (a config reload, a new
// probe view). Writers publish a whole new object; readers on hot paths keep their own
// shared_ptr and only re-load it when the generation counter moved, so a query costs one
// relaxed atomic load and never takes a lock.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

namespace udn {

template <class T>
class Snapshot {
public:
    explicit Snapshot(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}

    std::shared_ptr<const T> get() const { return current_.load(std::memory_order_acquire); }

    void replace(std::shared_ptr<const T> next) {
        current_.store(std::move(next), std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_release);
    }

    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    std::atomic<std::shared_ptr<const T>> current_;
    std::atomic<std::uint64_t> generation_{0};
};

// One per reading thread: caches the shared_ptr and refreshes it when the snapshot changed.
template <class T>
class SnapshotReader {
public:
    explicit SnapshotReader(const Snapshot<T>& source)
        : source_(&source), generation_(source.generation()), cached_(source.get()) {}

    const T& current() {
        const auto generation = source_->generation();
        if (generation != generation_) {
            cached_ = source_->get();
            generation_ = generation;
        }
        return *cached_;
    }

    std::shared_ptr<const T> shared() {
        current();
        return cached_;
    }

private:
    const Snapshot<T>* source_;
    std::uint64_t generation_;
    std::shared_ptr<const T> cached_;
};

}  // namespace udn
