// Client conditionals; see conditionals.hpp.
#include "cache/server/conditionals.hpp"

#include "cache/http/date.hpp"
#include "cache/http/syntax.hpp"

namespace udn::cache::server {

bool etag_matches(std::string_view list, std::string_view etag) {
    const auto opaque = [](std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; };
    if (http::trim(list) == "*") return true;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = http::trim(list.substr(0, comma));
        if (!item.empty() && opaque(item) == opaque(etag)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

bool client_not_modified(const http::RequestHead& head, const store::ObjectMeta& meta) {
    // A stored 206 is always a slice of a 200 (the cache never stores a client's partial answer).
    if (meta.status != 200 && meta.status != 206) return false;
    if (const auto inm = head.header("if-none-match")) return !meta.etag().empty() && etag_matches(*inm, meta.etag());
    if (const auto ims = head.header("if-modified-since"); ims && !meta.last_modified().empty()) {
        const auto since = http::parse_http_date(*ims);
        const auto modified = http::parse_http_date(meta.last_modified());
        return since && modified && *modified <= *since;
    }
    return false;
}

bool if_range_allows(const http::RequestHead& head, const store::ObjectMeta& meta) {
    const auto if_range = head.header("if-range");
    if (!if_range) return true;
    const auto value = http::trim(*if_range);
    if (value.starts_with("W/")) return false;
    if (value.starts_with("\"")) return !meta.etag().empty() && !meta.etag().starts_with("W/") && value == meta.etag();
    return !meta.last_modified().empty() && value == meta.last_modified();
}

}  // namespace udn::cache::server
