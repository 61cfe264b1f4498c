// Host/path routing to customer sites; see routes.hpp.
#include "cache/server/routes.hpp"

#include <algorithm>

#include "cache/http/syntax.hpp"

namespace udn::cache::server {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::vector<const config::Origin*> origins_of(const config::Customer& customer, const config::Domain& domain) {
    std::vector<const config::Origin*> primaries;
    std::vector<const config::Origin*> backups;
    for (const auto& name : domain.origins) {
        for (const auto& origin : customer.origins) {
            if (origin.name == name) (origin.backup ? backups : primaries).push_back(&origin);
        }
    }
    primaries.insert(primaries.end(), backups.begin(), backups.end());
    return primaries;
}

}  // namespace

namespace {

// The host name without port and trailing dot (not yet lower-case).
std::string_view bare_host(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    return host;
}

bool is_dot_segment(std::size_t bytes, bool only_dots) { return only_dots && (bytes == 1 || bytes == 2); }

}  // namespace

std::string lower_host(std::string_view host) {
    std::string result(bare_host(host));
    std::transform(result.begin(), result.end(), result.begin(), lower);
    return result;
}

std::string_view check_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return "request target must be an absolute path";
    if (target.find('#') != std::string_view::npos) return "fragment in request target";
    const auto path = target.substr(0, target.find('?'));
    // Decode the path and look at its segments: "..", "." and encoded variants (%2e%2e, %2f)
    // are refused instead of resolved, so two spellings can never name two cache entries or
    // reach outside a site. Decoded on the fly, segment by segment, without a copy.
    std::size_t segment_bytes = 0;
    bool only_dots = true;
    for (std::size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        if (c == '%') {
            if (i + 2 >= path.size()) return "truncated percent-encoding";
            const int high = http::hex_value(path[i + 1]);
            const int low = http::hex_value(path[i + 2]);
            if (high < 0 || low < 0) return "invalid percent-encoding";
            c = static_cast<char>(high * 16 + low);
            if (c == '/' || c == '\\') return "encoded slash in path";
            if (c == '\0') return "encoded NUL in path";
            i += 2;
        } else if (c == '\\') {
            return "backslash in path";
        } else if (c == '/') {
            if (is_dot_segment(segment_bytes, only_dots)) return "dot-segment in path";
            segment_bytes = 0;
            only_dots = true;
            continue;
        }
        ++segment_bytes;
        only_dots = only_dots && c == '.';
    }
    if (is_dot_segment(segment_bytes, only_dots)) return "dot-segment in path";
    return {};
}

RouteTable::RouteTable(std::shared_ptr<const config::Config> config, std::string_view pop,
                       const std::vector<std::pair<std::string, std::string>>& aliases)
    : config_(std::move(config)) {
    for (const auto& customer : config_->customers) {
        std::string first_dynamic;
        std::vector<std::string> names;
        for (const auto& domain : customer.domains) {
            names.push_back(lower_host(domain.name));
            if (first_dynamic.empty() && domain.kind == config::DomainKind::dynamic_name) first_dynamic = domain.name;
        }
        for (const auto& domain : customer.domains) {
            if (domain.kind != config::DomainKind::static_name) continue;
            if (!domain.pops.empty() && std::find(domain.pops.begin(), domain.pops.end(), pop) == domain.pops.end()) continue;
            Entry entry;
            entry.site.customer = customer.name;
            entry.site.domain = lower_host(domain.name);
            entry.site.origin_host = !domain.origin_host.empty() ? domain.origin_host
                                     : !first_dynamic.empty()    ? first_dynamic
                                                                 : domain.name;
            entry.site.origins = origins_of(customer, domain);
            entry.site.revalidate_s = domain.revalidate_s;
            entry.site.slice_bytes = domain.slice_bytes;
            entry.path_form = domain.path_form;
            entry.path_names = names;
            sites_.emplace(entry.site.domain, std::move(entry));
        }
    }
    for (const auto& [alias, name] : aliases) {
        const auto it = sites_.find(lower_host(name));
        if (it != sites_.end()) sites_.emplace(lower_host(alias), it->second);
    }
}

std::variant<Route, RouteError> RouteTable::route(std::string_view host, std::string_view target) const {
    // Lower-cased into a stack buffer: looking up a host must not allocate on every request.
    const auto bare = bare_host(host);
    char buffer[256];
    if (bare.size() > sizeof buffer) return RouteError{421, "this cache does not serve host names that long"};
    std::transform(bare.begin(), bare.end(), buffer, lower);
    const std::string_view name(buffer, bare.size());
    const auto it = sites_.find(name);
    if (it == sites_.end()) return RouteError{421, "this cache does not serve host '" + std::string(name) + "'"};
    if (const auto problem = check_target(target); !problem.empty()) return RouteError{400, std::string(problem)};
    const Entry& entry = it->second;
    Route route;
    route.site = &entry.site;
    route.path_form = entry.path_form;
    if (entry.path_form) {
        // /<domain>/<path>: the domain must be one of this customer's names.
        const auto slash = target.find('/', 1);
        const auto query = target.find('?');
        const auto end = std::min(slash, query);
        const auto origin_name = lower_host(target.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
        if (origin_name.empty() ||
            std::find(entry.path_names.begin(), entry.path_names.end(), origin_name) == entry.path_names.end()) {
            return RouteError{404, "'" + origin_name + "' is not a domain of customer '" + entry.site.customer +
                                       "' (path form is /<domain>/<path>)"};
        }
        // "/www.example.com?q" names the origin's root with a query: the origin target is "/?q".
        const auto rest = end == std::string_view::npos ? std::string_view{} : target.substr(end);
        route.key = origin_name;
        if (rest.empty() || rest.front() == '?') route.key += '/';
        route.key += rest;
        route.host_bytes = origin_name.size();
    } else {
        route.key.reserve(entry.site.domain.size() + target.size());
        route.key = entry.site.domain;
        route.key += target;
        route.host_bytes = entry.site.domain.size();
    }
    return route;
}

}  // namespace udn::cache::server
