// Single byte-range parsing; see range.hpp.
#include "cache/http/range.hpp"

#include <algorithm>
#include <optional>

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

RangeVerdict parse_range(std::string_view value, std::uint64_t length_bytes, ByteRange& out) {
    value = trim(value);
    if (!istarts_with(value, "bytes=")) return RangeVerdict::ignore;
    const auto spec = trim(value.substr(6));
    if (spec.find(',') != std::string_view::npos) return RangeVerdict::ignore;
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return RangeVerdict::ignore;
    const auto first_text = spec.substr(0, dash);
    const auto last_text = spec.substr(dash + 1);
    if (first_text.empty()) {
        const auto suffix = decimal_value(last_text);
        if (!suffix) return RangeVerdict::ignore;
        if (*suffix == 0 || length_bytes == 0) return RangeVerdict::unsatisfiable;
        out.first = length_bytes - std::min(*suffix, length_bytes);
        out.last = length_bytes - 1;
        return RangeVerdict::satisfiable;
    }
    const auto first = decimal_value(first_text);
    if (!first) return RangeVerdict::ignore;
    std::uint64_t last = length_bytes == 0 ? 0 : length_bytes - 1;
    if (!last_text.empty()) {
        const auto parsed = decimal_value(last_text);
        if (!parsed || *parsed < *first) return RangeVerdict::ignore;
        last = std::min(*parsed, last);
    }
    if (*first >= length_bytes) return RangeVerdict::unsatisfiable;
    out.first = *first;
    out.last = last;
    return RangeVerdict::satisfiable;
}

}  // namespace udn::cache::http
