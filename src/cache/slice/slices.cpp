// Slice arithmetic; see slices.hpp.
#include "cache/slice/slices.hpp"

#include <algorithm>
#include <limits>

#include "cache/http/syntax.hpp"

namespace udn::cache::slice {

http::ByteRange slice_range(std::uint64_t index, std::uint64_t slice_bytes, std::uint64_t total_bytes) {
    const auto first = index * slice_bytes;
    const auto end = std::min(first + slice_bytes, total_bytes);
    return {first, end == 0 ? 0 : end - 1};
}

std::uint64_t slice_count(std::uint64_t total_bytes, std::uint64_t slice_bytes) {
    return slice_bytes == 0 ? 0 : (total_bytes + slice_bytes - 1) / slice_bytes;
}

SliceSpan slices_covering(const http::ByteRange& range, std::uint64_t slice_bytes) {
    return {range.first / slice_bytes, range.last / slice_bytes};
}

std::optional<std::uint64_t> first_byte_wanted(std::string_view range_header) {
    http::ByteRange range;
    const auto unbounded = std::numeric_limits<std::uint64_t>::max();
    const auto spec = http::trim(range_header);
    if (http::parse_range(spec, unbounded, range) != http::RangeVerdict::satisfiable) return std::nullopt;
    if (http::trim(spec.substr(6)).starts_with("-")) return std::nullopt;
    return range.first;
}

std::string request_range(std::uint64_t index, std::uint64_t slice_bytes) {
    const auto first = index * slice_bytes;
    return "bytes=" + std::to_string(first) + "-" + std::to_string(first + slice_bytes - 1);
}

bool answers_slice(const http::ContentRange& range, std::uint64_t index, std::uint64_t slice_bytes) {
    if (slice_bytes == 0 || range.first != index * slice_bytes) return false;
    const auto expected = slice_range(index, slice_bytes, range.complete_length_bytes);
    return range.first < range.complete_length_bytes && range.last == expected.last;
}

std::string slice_key(std::string_view key, std::uint64_t index) {
    return slices_prefix(key) + std::to_string(index);
}

std::string slices_prefix(std::string_view key) {
    std::string prefix(key);
    prefix += "\x1f\x1d";
    return prefix;
}

std::string validator_of(std::string_view etag, std::string_view last_modified) {
    if (!etag.empty() && !etag.starts_with("W/")) return "etag " + std::string(etag);
    if (!last_modified.empty()) return "last-modified " + std::string(last_modified);
    return {};
}

std::string validator_of(const store::ObjectMeta& meta) { return validator_of(meta.etag(), meta.last_modified()); }

std::optional<http::ContentRange> content_range_of(const store::ObjectMeta& meta) {
    for (const auto& [name, value] : meta.fields()) {
        if (http::iequals(name, "content-range")) return http::parse_content_range(value);
    }
    return std::nullopt;
}

bool belongs_to(const store::ObjectMeta& first, const store::ObjectMeta& meta, std::uint64_t index,
                std::uint64_t slice_bytes) {
    if (first.status != 206 || meta.status != 206) return false;
    const auto first_range = content_range_of(first);
    const auto range = content_range_of(meta);
    if (!first_range || !range || !answers_slice(*range, index, slice_bytes)) return false;
    if (range->complete_length_bytes != first_range->complete_length_bytes) return false;
    const auto validator = validator_of(first);
    return !validator.empty() && validator == validator_of(meta);
}

}  // namespace udn::cache::slice
