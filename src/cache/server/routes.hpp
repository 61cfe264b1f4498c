// Maps a request (Host + target) to a customer's site and the origins allowed for it. Built
// once per configuration snapshot. This is what keeps the cache from being an open proxy: a
// Host that is not a static name served by this POP, or a path-form origin name that is not
// one of that customer's domains, is answered with an error and never fetched.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/config/config.hpp"

namespace udn::cache::server {

struct Site {
    std::string customer;
    std::string domain;          // the configured static domain that matched the Host
    std::string origin_host;     // Host header sent to the origin
    std::vector<const config::Origin*> origins;  // primaries first, then backups
    std::uint32_t revalidate_s = 0;
    std::uint32_t slice_bytes = 0;  // 0: objects are fetched and stored whole
};

struct Route {
    const Site* site = nullptr;
    // Cache key: "<site or path-form domain, lower-case><origin target>". The origin target and
    // (path form) the origin host are read back from it, so routing a hit costs one string.
    std::string key;
    std::size_t host_bytes = 0;  // the key's leading name
    bool path_form = false;

    // Host header sent to the origin: for the path form, the domain named in the path.
    std::string_view origin_host() const {
        return path_form ? std::string_view(key).substr(0, host_bytes) : std::string_view(site->origin_host);
    }
    // Request target sent to the origin.
    std::string_view origin_target() const { return std::string_view(key).substr(host_bytes); }
};

struct RouteError {
    int status = 400;
    std::string reason;
};

class RouteTable {
public:
    // `pop` limits the table to names this POP serves (Domain::pops empty = every POP).
    // `aliases` maps extra host names (e.g. "127.0.0.1" for a benchmark harness) onto configured
    // static names; an alias naming no configured static name is ignored.
    RouteTable(std::shared_ptr<const config::Config> config, std::string_view pop,
               const std::vector<std::pair<std::string, std::string>>& aliases = {});

    // `host` is the Host header (port allowed); `target` the request target.
    std::variant<Route, RouteError> route(std::string_view host, std::string_view target) const;
    const config::Config& config() const { return *config_; }
    std::size_t site_count() const { return sites_.size(); }

private:
    struct Entry {
        Site site;
        bool path_form = false;
        std::vector<std::string> path_names;  // path form: the customer's domain names
    };
    std::shared_ptr<const config::Config> config_;
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
    };
    std::unordered_map<std::string, Entry, NameHash, std::equal_to<>> sites_;  // by lower-case host name
};

// Validates and normalises an origin-form target: must start with '/', no dot-segments (also
// percent-encoded), no encoded slash or NUL, no fragment. Returns an error reason or empty.
std::string_view check_target(std::string_view target);
std::string lower_host(std::string_view host);  // lower-case, port and trailing dot removed

}  // namespace udn::cache::server
