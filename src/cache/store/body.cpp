// Body blocks on the heap or in a mapped memory file; see body.hpp.
#include "cache/store/body.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

namespace udn::cache::store {

namespace {
std::atomic<std::size_t> live_body_files{0};
}  // namespace

void BlockDeleter::operator()(char* data) const {
    if (mapped_bytes > 0) ::munmap(data, mapped_bytes);
    else delete[] data;
}

Body::~Body() {
    blocks.clear();
    if (file_fd >= 0) {
        ::close(file_fd);
        live_body_files.fetch_sub(1, std::memory_order_relaxed);
    }
}

void Body::add_heap_block(std::size_t bytes) {
    blocks.emplace_back(BlockBytes(new char[bytes]), bytes);
    capacity_bytes += bytes;
}

namespace {

bool reserve_file_slot() {
    if (live_body_files.fetch_add(1, std::memory_order_relaxed) < max_body_files) return true;
    live_body_files.fetch_sub(1, std::memory_order_relaxed);
    return false;
}

// A memory file of `bytes`, mapped; {-1, nullptr} when one cannot be made (out of descriptors
// or memory: the heap still works).
std::pair<int, char*> map_memory_file(std::size_t bytes) {
    const int fd = ::memfd_create("udn-cache-body", MFD_CLOEXEC);
    if (fd < 0) return {-1, nullptr};
    void* mapped = MAP_FAILED;
    if (::ftruncate(fd, static_cast<off_t>(bytes)) == 0) {
        mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    if (mapped == MAP_FAILED) {
        ::close(fd);
        return {-1, nullptr};
    }
    return {fd, static_cast<char*>(mapped)};
}

}  // namespace

void Body::add_first_block(std::size_t bytes) {
    const bool large = bytes >= file_body_min_bytes && bytes <= file_body_max_bytes && blocks.empty();
    if (large && reserve_file_slot()) {
        const auto [fd, data] = map_memory_file(bytes);
        if (fd >= 0) {
            file_fd = fd;
            blocks.emplace_back(BlockBytes(data, BlockDeleter{bytes}), bytes);
            capacity_bytes += bytes;
            return;
        }
        live_body_files.fetch_sub(1, std::memory_order_relaxed);
    }
    // Known lengths get one exact block (no slack per object), up to 1 MiB; more grows later.
    add_heap_block(std::min<std::size_t>(bytes, 1 << 20));
}

}  // namespace udn::cache::store
