#include "dns/wire/name.hpp"

#include <cstring>

namespace udn::dns::wire {
namespace {

std::uint8_t ascii_lower(std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// Eight bytes at a time ("SWAR"): every query's name is lowered for the zone lookup, and a byte
// loop over it was 5 % of the user-space instructions of a query. Sets the high bit (0x80) of
// every byte of `x` that is an upper-case ASCII letter.
constexpr std::uint64_t every_byte(std::uint8_t b) { return 0x0101010101010101ULL * b; }

std::uint64_t upper_case_bytes(std::uint64_t x) {
    const auto low7 = x & every_byte(0x7F);  // no carry can cross a byte below
    const auto at_least_a = low7 + every_byte(0x80 - 'A');
    const auto above_z = low7 + every_byte(0x7F - 'Z');
    return (at_least_a ^ above_z) & ~x & every_byte(0x80);
}

std::uint64_t load8(const std::uint8_t* bytes) {
    std::uint64_t x;
    std::memcpy(&x, bytes, sizeof x);
    return x;
}

}  // namespace

std::optional<Name> Name::from_text(std::string_view text) {
    Name name;
    if (text == "." || text.empty()) return name;
    if (text.back() == '.') text.remove_suffix(1);
    while (true) {
        const auto dot = text.find('.');
        const auto label = text.substr(0, dot);
        if (label.empty()) return std::nullopt;
        const auto* data = reinterpret_cast<const std::uint8_t*>(label.data());
        if (!name.append_label({data, label.size()})) return std::nullopt;
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
    }
    return name;
}

bool Name::append_label(std::span<const std::uint8_t> label) {
    if (label.empty() || label.size() > max_label_size_bytes) return false;
    if (size_ + label.size() + 1 > max_name_size_bytes) return false;
    const std::size_t at = size_ - 1;  // overwrite the terminating zero
    bytes_[at] = static_cast<std::uint8_t>(label.size());
    std::memcpy(&bytes_[at + 1], label.data(), label.size());
    size_ = static_cast<std::uint16_t>(size_ + label.size() + 1);
    bytes_[size_ - 1] = 0;
    return true;
}

std::size_t Name::label_count() const {
    std::size_t count = 0;
    for (std::size_t at = 0; bytes_[at] != 0; at += bytes_[at] + 1) ++count;
    return count;
}

namespace {

// Copies a wire name of `size` bytes from `from` to `exact` as it is and to `lowered` lower-cased,
// in one flat pass (no label walk: length bytes are < 64, which lowering leaves alone); `exact`
// may be null.
void copy_and_lower(const std::uint8_t* from, std::size_t size, std::uint8_t* exact,
                    std::uint8_t* lowered) {
    const auto word_at = [&](std::size_t i) {
        const auto x = load8(from + i);
        if (exact != nullptr) std::memcpy(exact + i, &x, sizeof x);
        const auto lower = x | (upper_case_bytes(x) >> 2);  // 0x80 >> 2 is the case bit 0x20
        std::memcpy(lowered + i, &lower, sizeof lower);
    };
    if (size < 8) {
        for (std::size_t i = 0; i < size; ++i) {
            if (exact != nullptr) exact[i] = from[i];
            lowered[i] = ascii_lower(from[i]);
        }
        return;
    }
    std::size_t i = 0;
    for (; i + 8 < size; i += 8) word_at(i);
    // The last eight bytes, overlapping the word before when the size is not a multiple of 8:
    // lowering a byte twice changes nothing, and a byte loop for the tail cost more than the rest.
    word_at(size - 8);
}

}  // namespace

Name Name::lowered() const {
    Name out;
    out.size_ = size_;
    copy_and_lower(bytes_.data(), size_, nullptr, out.bytes_.data());
    return out;
}

bool Name::equals_ignore_case(const Name& other) const {
    if (size_ != other.size_) return false;
    // Length bytes are < 64 so lowering them is harmless.
    for (std::size_t i = 0; i < size_; ++i) {
        if (ascii_lower(bytes_[i]) != ascii_lower(other.bytes_[i])) return false;
    }
    return true;
}

Name Name::parent(std::size_t count) const {
    std::size_t at = 0;
    for (std::size_t i = 0; i < count && bytes_[at] != 0; ++i) at += bytes_[at] + 1;
    Name out;
    out.size_ = static_cast<std::uint16_t>(size_ - at);
    std::memcpy(out.bytes_.data(), &bytes_[at], out.size_);
    return out;
}

bool Name::is_subdomain_of(const Name& ancestor) const {
    if (ancestor.size_ > size_) return false;
    // Walk label boundaries so that "xample.com" never matches "example.com".
    std::size_t at = 0;
    while (size_ - at > ancestor.size_) at += bytes_[at] + 1;
    if (size_ - at != ancestor.size_) return false;
    for (std::size_t i = 0; i < ancestor.size_; ++i) {
        if (ascii_lower(bytes_[at + i]) != ascii_lower(ancestor.bytes_[i])) return false;
    }
    return true;
}

std::string Name::to_text() const {
    std::string text;
    append_text(text);
    return text;
}

namespace {

// Each byte as presentation text writes it (lower-cased or as is), or 0 when it must be escaped.
constexpr std::array<char, 256> plain_table(bool lowered) {
    std::array<char, 256> table{};
    for (unsigned c = 0x21; c <= 0x7e; ++c) {
        if (c == '.' || c == '\\') continue;
        table[c] = static_cast<char>(lowered && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    return table;
}
constexpr auto plain_lowered = plain_table(true);
constexpr auto plain_as_is = plain_table(false);

}  // namespace

// Presentation text, each label followed by its dot ("." for the root), into `out` (room for
// max_text_bytes): the one place that knows the escapes (\. \\ \DDD).
char* Name::write_text(char* out, bool lowered) const {
    if (is_root()) {
        *out++ = '.';
        return out;
    }
    // One table per case keeps the common byte to a load, a test and a store (every query's
    // name goes through here into the query log).
    const auto& plain = lowered ? plain_lowered : plain_as_is;
    for (std::size_t at = 0; bytes_[at] != 0; at += bytes_[at] + 1) {
        const std::size_t end = at + bytes_[at];
        for (std::size_t i = at + 1; i <= end; ++i) {
            const auto c = bytes_[i];
            if (const char text = plain[c]; text != 0) {
                *out++ = text;
            } else if (c == '.' || c == '\\') {
                *out++ = '\\';
                *out++ = static_cast<char>(c);
            } else {
                *out++ = '\\';
                *out++ = static_cast<char>('0' + c / 100);
                *out++ = static_cast<char>('0' + c / 10 % 10);
                *out++ = static_cast<char>('0' + c % 10);
            }
        }
        *out++ = '.';
    }
    return out;
}

void Name::append_text(std::string& text) const {
    char buffer[max_text_bytes];
    text.append(buffer, write_text(buffer, false));
}

char* Name::write_lowered_text(char* out) const {
    char* const end = write_text(out, true);
    return is_root() ? end : end - 1;  // no trailing dot, except for the root
}

namespace {

// The size of the uncompressed name at `offset` (its terminating zero included), or 0 when it is
// anything else: a pointer, a bad label type, an overrun, a name over 255 bytes.
std::size_t plain_name_size(std::span<const std::uint8_t> message, std::size_t offset) {
    for (std::size_t at = offset; at < message.size() && at - offset < max_name_size_bytes;) {
        const std::uint8_t length = message[at];
        if (length == 0) return at + 1 - offset;
        if (length > max_label_size_bytes) return 0;
        at += 1 + length;
    }
    return 0;
}

// read_name's general path, label by label: compression pointers, and every malformed name,
// which gets its status here.
NameStatus read_labels(std::span<const std::uint8_t> message, std::size_t& offset, Name& out) {
    out = Name{};
    std::size_t at = offset;
    std::size_t end_in_place = 0;  // set at the first pointer
    std::size_t lower_bound = at;  // pointers must go strictly below this
    while (true) {
        if (at >= message.size()) return NameStatus::truncated;
        const std::uint8_t length = message[at];
        if ((length & 0xC0) == 0xC0) {
            if (at + 1 >= message.size()) return NameStatus::truncated;
            const std::size_t target = ((length & 0x3Fu) << 8) | message[at + 1];
            if (target >= lower_bound) return NameStatus::bad_pointer;
            if (end_in_place == 0) end_in_place = at + 2;
            lower_bound = target;
            at = target;
            continue;
        }
        if ((length & 0xC0) != 0) return NameStatus::bad_label_type;
        if (length == 0) {
            offset = end_in_place != 0 ? end_in_place : at + 1;
            return NameStatus::ok;
        }
        if (at + 1 + length > message.size()) return NameStatus::truncated;
        if (!out.append_label(message.subspan(at + 1, length))) return NameStatus::too_long;
        at += 1 + length;
    }
}

}  // namespace

NameStatus read_name(std::span<const std::uint8_t> message, std::size_t& offset, Name& out) {
    // Questions are (almost) never compressed: find the end of a plain name and copy it once
    // instead of label by label. Anything unusual goes through read_labels, which gives it its
    // status.
    if (const auto size = plain_name_size(message, offset); size != 0) {
        std::memcpy(out.bytes_.data(), &message[offset], size);
        out.size_ = static_cast<std::uint16_t>(size);
        offset += size;
        return NameStatus::ok;
    }
    return read_labels(message, offset, out);
}

NameStatus read_name_and_lowered(std::span<const std::uint8_t> message, std::size_t& offset,
                                 Name& out, Name& lowered) {
    if (const auto size = plain_name_size(message, offset); size != 0) {
        copy_and_lower(&message[offset], size, out.bytes_.data(), lowered.bytes_.data());
        out.size_ = lowered.size_ = static_cast<std::uint16_t>(size);
        offset += size;
        return NameStatus::ok;
    }
    // Not plain: the general path (plain_name_size already said the fast one does not apply).
    const auto status = read_labels(message, offset, out);
    lowered.assign(status == NameStatus::ok ? out.lowered() : Name{});
    return status;
}

}  // namespace udn::dns::wire
