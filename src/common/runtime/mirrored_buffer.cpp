#include "common/runtime/mirrored_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace udn::runtime {

namespace {

[[noreturn]] void fail(const char* what, std::size_t size) {
    throw std::runtime_error(std::string("cannot map a mirrored buffer of ") +
                             std::to_string(size) + " bytes: " + what + ": " +
                             std::strerror(errno));
}

// Closes the memory file once both views are mapped (the mappings keep the memory).
struct FileDescriptor {
    int fd;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

MirroredBuffer::MirroredBuffer(std::size_t size) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    size_ = (std::max<std::size_t>(size, 1) + page - 1) / page * page;
    const FileDescriptor memory{::memfd_create("udn-mirrored-buffer", MFD_CLOEXEC)};
    if (memory.fd < 0) fail("memfd_create", size_);
    if (::ftruncate(memory.fd, static_cast<off_t>(size_)) != 0) fail("ftruncate", size_);
    // Reserve both halves first so that nothing else can be mapped between them.
    void* const reserved =
        ::mmap(nullptr, 2 * size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserved == MAP_FAILED) fail("mmap (reserving the address range)", size_);
    auto* const base = static_cast<char*>(reserved);
    // MAP_POPULATE: the pages are allocated and mapped now, not by page faults on the first
    // pass of a hot path through them.
    for (char* half : {base, base + size_}) {
        if (::mmap(half, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
                   memory.fd, 0) == MAP_FAILED) {
            const int error = errno;
            ::munmap(base, 2 * size_);
            errno = error;
            fail("mmap (a view of the buffer)", size_);
        }
    }
    data_ = base;
}

MirroredBuffer::~MirroredBuffer() {
    if (data_ != nullptr) ::munmap(data_, 2 * size_);
}

MirroredBuffer::MirroredBuffer(MirroredBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MirroredBuffer& MirroredBuffer::operator=(MirroredBuffer&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) ::munmap(data_, 2 * size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

}  // namespace udn::runtime
