// A bounds-checked cursor over received bytes: every read either succeeds or reports that the
// input ended, so parsers never index past a packet.
#pragma once
#include <cstdint>
#include <span>

namespace udn::dns::wire {

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data, std::size_t offset = 0)
        : data_(data), offset_(offset) {}

    std::size_t offset() const { return offset_; }
    std::size_t& offset_ref() { return offset_; }
    std::size_t remaining() const { return offset_ <= data_.size() ? data_.size() - offset_ : 0; }

    bool u8(std::uint8_t& out) {
        if (remaining() < 1) return false;
        out = data_[offset_++];
        return true;
    }
    bool u16(std::uint16_t& out) {
        if (remaining() < 2) return false;
        out = static_cast<std::uint16_t>((data_[offset_] << 8) | data_[offset_ + 1]);
        offset_ += 2;
        return true;
    }
    bool u32(std::uint32_t& out) {
        if (remaining() < 4) return false;
        out = (std::uint32_t{data_[offset_]} << 24) | (std::uint32_t{data_[offset_ + 1]} << 16) |
              (std::uint32_t{data_[offset_ + 2]} << 8) | std::uint32_t{data_[offset_ + 3]};
        offset_ += 4;
        return true;
    }
    bool bytes(std::size_t count, std::span<const std::uint8_t>& out) {
        if (remaining() < count) return false;
        out = data_.subspan(offset_, count);
        offset_ += count;
        return true;
    }

private:
    std::span<const std::uint8_t> data_;
    std::size_t offset_;
};

}  // namespace udn::dns::wire
