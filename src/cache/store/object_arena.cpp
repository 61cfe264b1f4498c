// Size-classed slabs for compact objects; see object_arena.hpp.
#include "cache/store/object_arena.hpp"

#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UDN_ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UDN_ARENA_ASAN 1
#endif
#ifdef UDN_ARENA_ASAN
// From libasan (g++ ships no sanitizer headers): freed and not yet carved blocks stay poisoned,
// so a use after free of a compact object is still reported.
extern "C" void __asan_poison_memory_region(void const volatile* address, std::size_t bytes);
extern "C" void __asan_unpoison_memory_region(void const volatile* address, std::size_t bytes);
#endif

namespace udn::cache::store {

namespace {

void poison(void* address, std::size_t bytes) {
#ifdef UDN_ARENA_ASAN
    __asan_poison_memory_region(address, bytes);
#else
    (void)address;
    (void)bytes;
#endif
}

void unpoison(void* address, std::size_t bytes) {
#ifdef UDN_ARENA_ASAN
    __asan_unpoison_memory_region(address, bytes);
#else
    (void)address;
    (void)bytes;
#endif
}

// A mapping of `bytes` aligned to `bytes` (a power of two): map twice the size, unmap the rest.
void* map_aligned(std::size_t bytes) {
    void* raw = ::mmap(nullptr, 2 * bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const auto aligned = (start + bytes - 1) & ~(static_cast<std::uintptr_t>(bytes) - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    const auto end = start + 2 * bytes;
    if (end > aligned + bytes) ::munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
    return reinterpret_cast<void*>(aligned);
}

}  // namespace

// The first bytes of every slab. Blocks follow it; free ones are linked through their first
// bytes, and blocks are carved in order only when first needed, so untouched ones cost no RSS.
struct ObjectArena::Slab {
    ObjectArena* arena = nullptr;
    Slab* previous = nullptr;
    Slab* next = nullptr;
    void* free = nullptr;
    std::uint32_t class_index = 0;
    std::uint32_t block_bytes = 0;
    std::uint32_t used = 0;      // blocks handed out
    std::uint32_t carved = 0;    // blocks ever handed out of this slab's fresh space
    std::uint32_t capacity = 0;  // blocks that fit
};

namespace {
constexpr std::size_t slab_header_bytes = 64;
}  // namespace

ObjectArena* ObjectArena::create() { return new ObjectArena(); }

ObjectArena::~ObjectArena() {
    while (empty_) {
        Slab* slab = empty_;
        unlink(empty_, slab);
        unpoison(slab, slab_bytes);
        ::munmap(slab, slab_bytes);
    }
}

void ObjectArena::orphan() {
    bool last = false;
    {
        std::lock_guard lock(mutex_);
        orphaned_ = true;
        last = live_blocks_ == 0;
    }
    if (last) delete this;
}

std::size_t ObjectArena::class_of(std::size_t bytes) {
    if (bytes <= 1024) return bytes == 0 ? 0 : (bytes + 15) / 16 - 1;
    const auto k = static_cast<std::size_t>(std::bit_width(bytes - 1)) - 1;  // 2^k < bytes <= 2^(k+1)
    const std::size_t step = std::size_t{1} << (k - 6);
    const std::size_t offset = (bytes - (std::size_t{1} << k) + step - 1) / step;  // 1..64
    return 64 + (k - 10) * 64 + offset - 1;
}

std::size_t ObjectArena::class_bytes(std::size_t index) {
    if (index < 64) return (index + 1) * 16;
    const std::size_t k = 10 + (index - 64) / 64;
    const std::size_t offset = (index - 64) % 64 + 1;
    return (std::size_t{1} << k) + offset * (std::size_t{1} << (k - 6));
}

std::size_t ObjectArena::block_bytes_for(std::size_t bytes) {
    return bytes > max_block_bytes ? bytes : class_bytes(class_of(bytes));
}

void ObjectArena::link(Slab*& head, Slab* slab) {
    slab->previous = nullptr;
    slab->next = head;
    if (head) head->previous = slab;
    head = slab;
}

void ObjectArena::unlink(Slab*& head, Slab* slab) {
    if (slab->previous) slab->previous->next = slab->next;
    else head = slab->next;
    if (slab->next) slab->next->previous = slab->previous;
    slab->previous = slab->next = nullptr;
}

ObjectArena::Slab* ObjectArena::new_slab(std::size_t index) {
    static_assert(sizeof(Slab) <= slab_header_bytes && slab_header_bytes % 16 == 0);
    void* place = nullptr;
    if (empty_) {
        Slab* reused = empty_;
        unlink(empty_, reused);
        --empty_count_;
        reused->~Slab();
        place = reused;
    } else {
        place = map_aligned(slab_bytes);
        if (place == nullptr) return nullptr;
        ++slab_count_;
    }
    auto* slab = new (place) Slab();
    slab->arena = this;
    slab->class_index = static_cast<std::uint32_t>(index);
    slab->block_bytes = static_cast<std::uint32_t>(class_bytes(index));
    slab->capacity = static_cast<std::uint32_t>((slab_bytes - slab_header_bytes) / slab->block_bytes);
    poison(static_cast<char*>(place) + slab_header_bytes, slab_bytes - slab_header_bytes);
    return slab;
}

void* ObjectArena::allocate(std::size_t bytes) {
    if (bytes > max_block_bytes) return nullptr;
    const std::size_t index = class_of(bytes);
    std::lock_guard lock(mutex_);
    Slab* slab = partial_[index];
    if (slab == nullptr) {
        slab = new_slab(index);
        if (slab == nullptr) return nullptr;
        link(partial_[index], slab);
    }
    void* block = nullptr;
    if (slab->free) {
        block = slab->free;
        unpoison(block, slab->block_bytes);
        std::memcpy(&slab->free, block, sizeof(void*));
    } else {
        block = reinterpret_cast<char*>(slab) + slab_header_bytes + std::size_t{slab->carved} * slab->block_bytes;
        ++slab->carved;
        unpoison(block, slab->block_bytes);
    }
    ++slab->used;
    if (slab->used == slab->capacity) unlink(partial_[index], slab);
    ++live_blocks_;
    live_block_bytes_ += slab->block_bytes;
    return block;
}

void ObjectArena::deallocate(void* block) {
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    auto* slab = reinterpret_cast<Slab*>(address & ~(static_cast<std::uintptr_t>(slab_bytes) - 1));
    slab->arena->release(*slab, block);
}

void ObjectArena::release(Slab& slab, void* block) {
    bool delete_arena = false;
    {
        std::lock_guard lock(mutex_);
        std::memcpy(block, &slab.free, sizeof(void*));
        slab.free = block;
        poison(block, slab.block_bytes);
        if (slab.used == slab.capacity) link(partial_[slab.class_index], &slab);
        --slab.used;
        --live_blocks_;
        live_block_bytes_ -= slab.block_bytes;
        if (slab.used == 0) {
            // An empty slab can serve any class: keep a few for the next new slab, return the rest.
            unlink(partial_[slab.class_index], &slab);
            if (empty_count_ < kept_empty_slabs) {
                link(empty_, &slab);
                ++empty_count_;
            } else {
                --slab_count_;
                unpoison(&slab, slab_bytes);
                ::munmap(&slab, slab_bytes);
            }
        }
        delete_arena = orphaned_ && live_blocks_ == 0;
    }
    if (delete_arena) delete this;
}

ObjectArenaStats ObjectArena::stats() const {
    std::lock_guard lock(mutex_);
    return ObjectArenaStats{slab_count_ * slab_bytes, live_block_bytes_, live_blocks_};
}

}  // namespace udn::cache::store
