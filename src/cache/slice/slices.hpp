// Slice arithmetic of large objects cached in pieces (Domain::slice_bytes, docs/cache.md
// "Slices"): which slices a byte range needs, the Range asked of the origin for each, the key
// each slice is stored under, and whether a stored or fetched slice belongs to the same
// version of the object as its first slice (never splice bytes of two versions).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/http/content_range.hpp"
#include "cache/http/range.hpp"
#include "cache/store/object.hpp"

namespace udn::cache::slice {

// Slice `index` covers bytes [index * slice_bytes, min((index + 1) * slice_bytes, total) - 1].
http::ByteRange slice_range(std::uint64_t index, std::uint64_t slice_bytes, std::uint64_t total_bytes);
std::uint64_t slice_count(std::uint64_t total_bytes, std::uint64_t slice_bytes);

struct SliceSpan {
    std::uint64_t first_index = 0;
    std::uint64_t last_index = 0;  // inclusive
};
SliceSpan slices_covering(const http::ByteRange& range, std::uint64_t slice_bytes);

// The first byte a client's Range header asks for, when it says so without the length being
// known ("bytes=<first>-[last]"); nullopt for a suffix range, several ranges or no byte range.
std::optional<std::uint64_t> first_byte_wanted(std::string_view range_header);

// The Range request header value for slice `index` (the full slice size even for the last one:
// the length is not known before the first answer, and an origin shortens it itself).
std::string request_range(std::uint64_t index, std::uint64_t slice_bytes);

// Whether a 206's Content-Range is exactly slice `index` of its object.
bool answers_slice(const http::ContentRange& range, std::uint64_t index, std::uint64_t slice_bytes);

// Slices live beside the URL's own key, under "<key>\x1f\x1d<index>": a URL purge or an unsafe
// method's invalidation (which erase "<key>\x1f..." for Vary variants) takes them too, and no
// variant key starts with \x1d (variants start with a header name).
std::string slice_key(std::string_view key, std::uint64_t index);
std::string slices_prefix(std::string_view key);

// What ties the slices of one version together: a strong ETag, else Last-Modified; "" when the
// origin sends neither, and then the object is not sliced (a change could not be noticed).
std::string validator_of(std::string_view etag, std::string_view last_modified);
std::string validator_of(const store::ObjectMeta& meta);

// The Content-Range kept among a stored slice's fields.
std::optional<http::ContentRange> content_range_of(const store::ObjectMeta& meta);

// Whether `meta` (a stored or fetched response) is slice `index` of the version `first` (slice 0)
// describes: a 206 for exactly that slice, of the same complete length, with the same validator.
bool belongs_to(const store::ObjectMeta& first, const store::ObjectMeta& meta, std::uint64_t index,
                std::uint64_t slice_bytes);

}  // namespace udn::cache::slice
