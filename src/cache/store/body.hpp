// The bytes of a cached response body: blocks that never move once written (readers send them
// while the fetcher appends). A body of known length of at least file_body_min_bytes lives in
// one memory file (memfd) mapped into the process instead of on the heap, so that a hit hands
// it to the kernel with sendfile(2) rather than copying it through write(2) — as nginx serves
// from the page cache. Smaller bodies, and bodies beyond max_body_files live ones (each holds
// a file descriptor), stay on the heap.
#pragma once
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace udn::cache::store {

inline constexpr std::size_t file_body_min_bytes = 64 * 1024;
inline constexpr std::size_t file_body_max_bytes = 64u << 20;
inline constexpr std::size_t max_body_files = 4096;

// Frees a block: heap blocks with delete[], a mapped memory file with munmap.
struct BlockDeleter {
    std::size_t mapped_bytes = 0;
    void operator()(char* data) const;
};
using BlockBytes = std::unique_ptr<char[], BlockDeleter>;

struct Body {
    Body() = default;
    ~Body();
    Body(const Body&) = delete;
    Body& operator=(const Body&) = delete;

    std::vector<std::pair<BlockBytes, std::size_t>> blocks;  // data, capacity
    std::size_t size_bytes = 0;
    std::size_t capacity_bytes = 0;
    int file_fd = -1;  // the memory file mapped as the first block, or -1

    // Adds the first block for a body of `bytes` (known length): a memory file when the body
    // is large enough and one can be made, else the heap.
    void add_first_block(std::size_t bytes);
    void add_heap_block(std::size_t bytes);
    // The whole body is in the memory file, so it can be sent with sendfile(2).
    bool in_file() const { return file_fd >= 0 && size_bytes <= blocks.front().second; }
};

}  // namespace udn::cache::store
