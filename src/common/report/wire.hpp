// Big-endian writer and bounds-checked reader for the report codec (internal to report/).
// The reader never reads past its span: every get_* returns nullopt once the data runs out.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace udn::report::wire {

class Writer {
public:
    explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t value) { out_.push_back(value); }
    void u16(std::uint16_t value) { big_endian(value, 2); }
    void u32(std::uint32_t value) { big_endian(value, 4); }
    void u64(std::uint64_t value) { big_endian(value, 8); }
    void bytes(std::span<const std::uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
    // A string with a one-byte length prefix; the caller has checked size() <= 255.
    void str8(std::string_view text) {
        u8(static_cast<std::uint8_t>(text.size()));
        out_.insert(out_.end(), text.begin(), text.end());
    }

private:
    void big_endian(std::uint64_t value, int size) {
        for (int shift = (size - 1) * 8; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(value >> shift));
    }
    std::vector<std::uint8_t>& out_;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
    std::size_t remaining() const { return data_.size() - offset_; }
    std::optional<std::uint8_t> u8() { return big_endian<std::uint8_t>(1); }
    std::optional<std::uint16_t> u16() { return big_endian<std::uint16_t>(2); }
    std::optional<std::uint32_t> u32() { return big_endian<std::uint32_t>(4); }
    std::optional<std::uint64_t> u64() { return big_endian<std::uint64_t>(8); }
    std::optional<std::span<const std::uint8_t>> bytes(std::size_t size) {
        if (remaining() < size) return std::nullopt;
        auto view = data_.subspan(offset_, size);
        offset_ += size;
        return view;
    }
    std::optional<std::string> str8() {
        const auto size = u8();
        if (!size) return std::nullopt;
        const auto view = bytes(*size);
        if (!view) return std::nullopt;
        return std::string(view->begin(), view->end());
    }

private:
    template <class T>
    std::optional<T> big_endian(std::size_t size) {
        if (remaining() < size) return std::nullopt;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < size; ++i) value = (value << 8) | data_[offset_ + i];
        offset_ += size;
        return static_cast<T>(value);
    }
    std::span<const std::uint8_t> data_;
    std::size_t offset_ = 0;
};

}  // namespace udn::report::wire
