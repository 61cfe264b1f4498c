// A byte buffer mapped twice, back to back: bytes [size, 2 * size) are the same memory as
// [0, size). A ring buffer on it can write and read any span of up to `size` bytes starting at
// any offset as one contiguous piece, so neither side ever splits a record (or a log line) at the
// wrap, and the reader can hand a whole span to one write(2). The DNS query log's rings use it.
#pragma once
#include <cstddef>

namespace udn::runtime {

class MirroredBuffer {
public:
    // `size` is rounded up to a whole number of pages, which are allocated at once (resident
    // from the start, like a buffer that was filled). Throws std::runtime_error (saying which
    // call failed and why) when the memory cannot be mapped, e.g. under a low RLIMIT_AS.
    explicit MirroredBuffer(std::size_t size);
    ~MirroredBuffer();
    MirroredBuffer(MirroredBuffer&& other) noexcept;
    MirroredBuffer& operator=(MirroredBuffer&& other) noexcept;
    MirroredBuffer(const MirroredBuffer&) = delete;
    MirroredBuffer& operator=(const MirroredBuffer&) = delete;

    // 2 * size() bytes may be addressed from here; data()[i] and data()[i + size()] are one byte.
    char* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace udn::runtime
