// Where the memory tier's compact objects live: size-classed slabs of their own, apart from the
// heap. On glibc's heap each compact copy was made while the filled object it replaces (and the
// request's buffers) were live, and freeing those left holes just too small for the next copy:
// a running cache held ~45 B per object of free heap beyond what it used (docs/cache.md "Memory
// per cached object"). A slab holds blocks of one size only, so a freed block is reused by the
// next object of its class, and blocks carry no per-allocation header.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace udn::cache::store {

struct ObjectArenaStats {
    std::size_t slab_bytes = 0;   // slabs mapped (in use or kept empty): what the arena holds
    std::size_t block_bytes = 0;  // blocks handed out, at their class size
    std::size_t blocks = 0;
};

class ObjectArena {
public:
    static constexpr std::size_t slab_bytes = 256 * 1024;  // aligned to its size: a block finds its slab
    static constexpr std::size_t max_block_bytes = 16 * 1024;  // larger objects stay on the heap
    static constexpr std::size_t kept_empty_slabs = 2;  // beyond: returned to the system

    // Heap-allocated and shared with the blocks it hands out: it lives until the owner has
    // called orphan() and the last block is freed (readers may hold objects after the store
    // that made them is gone).
    static ObjectArena* create();
    void orphan();

    // A block of at least `bytes` (aligned to 16), or nullptr when `bytes` exceeds
    // max_block_bytes or no slab can be mapped: the caller then uses the heap.
    void* allocate(std::size_t bytes);
    // Frees a block from allocate(); any thread.
    static void deallocate(void* block);
    // The size a block of `bytes` really takes (its class), for the store's budget.
    static std::size_t block_bytes_for(std::size_t bytes);

    ObjectArenaStats stats() const;

private:
    struct Slab;
    // Classes: 16 B steps up to 1 KiB, then 64 steps per doubling (at most 1/64 rounding).
    static constexpr std::size_t class_count = 64 + 64 * 4 + 1;
    static std::size_t class_of(std::size_t bytes);
    static std::size_t class_bytes(std::size_t index);

    ObjectArena() = default;
    ~ObjectArena();
    void release(Slab& slab, void* block);
    Slab* new_slab(std::size_t index);
    static void link(Slab*& head, Slab* slab);
    static void unlink(Slab*& head, Slab* slab);

    mutable std::mutex mutex_;
    std::array<Slab*, class_count> partial_{};  // per class: slabs with a free or uncarved block
    Slab* empty_ = nullptr;
    std::size_t empty_count_ = 0;
    std::size_t slab_count_ = 0;
    std::size_t live_blocks_ = 0;
    std::size_t live_block_bytes_ = 0;
    bool orphaned_ = false;
};

}  // namespace udn::cache::store
