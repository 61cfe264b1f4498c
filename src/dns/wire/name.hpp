// A domain name held in uncompressed wire form in a fixed buffer (no allocation), case
// preserved, with case-insensitive comparison, text conversion, and decoding of possibly
// compressed names from a message (RFC 1035 4.1.4) that is safe against loops and overruns.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dns/wire/types.hpp"

namespace udn::dns::wire {

enum class NameStatus : std::uint8_t { ok, truncated, bad_label_type, too_long, bad_pointer };

class Name {
public:
    // The root name. Only the first size_bytes() bytes are ever read, so the rest of the buffer
    // is left as it is: every query builds and copies several names, and zeroing 255 bytes each
    // time was a visible share of a query's instructions.
    Name() { bytes_[0] = 0; }
    // A copy of the name's bytes only, not of the whole buffer as `=` does: the query log copies
    // every query's name into a cold ring slot, where `=` (`rep movsq` of 255 bytes, five cache
    // lines written) was half of the worker's share of the log.
    void assign(const Name& other) {
        size_ = other.size_;
        std::memcpy(bytes_.data(), other.bytes_.data(), size_);
    }

    // Parses presentation format ("www.example.com" or "www.example.com."); nullopt when a label
    // is empty or longer than 63 bytes or the name exceeds 255 bytes. Control path only.
    static std::optional<Name> from_text(std::string_view text);

    std::span<const std::uint8_t> wire() const { return {bytes_.data(), size_}; }
    std::size_t size_bytes() const { return size_; }
    std::size_t label_count() const;
    bool is_root() const { return size_ == 1; }

    // Lower-case copy (ASCII only, as DNS comparison is defined).
    Name lowered() const;
    bool equals_ignore_case(const Name& other) const;
    // True when this name is `ancestor` or lies below it.
    bool is_subdomain_of(const Name& ancestor) const;
    // The name without its first `count` labels (stops at the root).
    Name parent(std::size_t count = 1) const;

    // "www.example.com." (root is "."); escapes dots and non-printables as \DDD.
    std::string to_text() const;
    // The same text appended to `out` (no allocation once `out` has grown).
    void append_text(std::string& out) const;
    // The text lower-cased and without the trailing dot ("." for the root), written to `out`,
    // which must have room for max_text_bytes; returns the end. The query log formats ~200k
    // names a second with it: no Name copy to lower-case, no per-character capacity checks.
    static constexpr std::size_t max_text_bytes = 4 * max_name_size_bytes;
    char* write_lowered_text(char* out) const;
    // Key form for hash maps: the lower-cased wire bytes.
    std::string_view key_view() const {
        return {reinterpret_cast<const char*>(bytes_.data()), size_};
    }

    // Appends one label (<= 63 bytes) in front of nothing: builds names label by label.
    bool append_label(std::span<const std::uint8_t> label);

private:
    char* write_text(char* out, bool lowered) const;

    // The length before the bytes: reading a short name then touches one cache line, not the
    // first and the fifth (the query log's ring slots are cold).
    std::uint16_t size_ = 1;  // the terminating zero
    std::array<std::uint8_t, max_name_size_bytes> bytes_;  // bytes past size_ are unspecified

    friend NameStatus read_name(std::span<const std::uint8_t> message, std::size_t& offset, Name& out);
    friend NameStatus read_name_and_lowered(std::span<const std::uint8_t> message,
                                            std::size_t& offset, Name& out, Name& lowered);
};

// Decodes the name starting at `offset` in `message`, following compression pointers (each must
// point strictly before the label that holds it, so decoding always terminates). On success
// `offset` moves past the name as it appears in place (after the first pointer, if any).
NameStatus read_name(std::span<const std::uint8_t> message, std::size_t& offset, Name& out);

// read_name, and the name lower-cased into `lowered` (the root on failure): a question's name is
// looked up lower-cased, and an uncompressed one (nearly every question) is copied and lowered in
// one pass over its bytes instead of a copy and then a second pass.
NameStatus read_name_and_lowered(std::span<const std::uint8_t> message, std::size_t& offset,
                                 Name& out, Name& lowered);

}  // namespace udn::dns::wire
