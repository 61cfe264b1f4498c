// Network-wide purge; see flush.hpp.
#include "cache/control/flush.hpp"

#include <algorithm>
#include <cstdio>

#include "cache/control/http_client.hpp"
#include "cache/purge/auth.hpp"
#include "cache/server/context.hpp"
#include "common/config/loader.hpp"

namespace udn::cache::control {

std::string query_escape(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string result;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == ':') {
            result += c;
        } else {
            result += '%';
            result += hex[u >> 4];
            result += hex[u & 15];
        }
    }
    return result;
}

int run_flush(const FlushOptions& options) {
    const int kinds = (options.prefix ? 1 : 0) + (options.site ? 1 : 0) + (options.all ? 1 : 0);
    if (kinds > 1) {
        std::fprintf(stderr, "udn admin flush: choose at most one of --prefix, --site, --all\n");
        return 2;
    }
    if (!options.all && options.target.empty()) {
        std::fprintf(stderr, "udn admin flush: say what to purge: a URL, --prefix URL, --site HOST or --all\n");
        return 2;
    }
    auto loaded = config::load_file(options.config_path);
    if (!loaded.ok()) {
        std::fprintf(stderr, "udn admin flush: configuration rejected:\n%s\n", loaded.error_text().c_str());
        return 1;
    }
    const auto& config = *loaded.config;
    const std::string kind = options.all ? "all" : options.site ? "site" : options.prefix ? "prefix" : "url";
    const std::string value = options.all ? "1" : options.target;
    const std::string target = "/purge?" + kind + "=" + query_escape(value);
    int failures = 0;
    int caches = 0;
    for (const auto* server : config.servers_with_role(config::Role::cache)) {
        if (!options.pops.empty() && std::find(options.pops.begin(), options.pops.end(), server->pop) == options.pops.end()) {
            continue;
        }
        if (server->addresses.empty()) continue;
        ++caches;
        const auto& address = server->addresses.front();
        const auto host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
        const auto post = [&](std::uint16_t port) {
            const auto authorization =
                "Authorization: " + purge::authorization_header(config.network.report_key, "POST", target, server::unix_now_s());
            auto result = http_request("POST", "http://" + host + ":" + std::to_string(port) + target, {authorization},
                                       options.timeout_ms);
            while (!result.body.empty() && (result.body.back() == '\n' || result.body.back() == '\r')) result.body.pop_back();
            return result;
        };
        const auto print = [&](const std::string& name, const HttpResult& result) {
            if (result.status == 200) {
                std::printf("%-20s %-14s ok      %s\n", name.c_str(), server->pop.c_str(), result.body.c_str());
            } else {
                std::printf("%-20s %-14s FAILED  %s\n", name.c_str(), server->pop.c_str(),
                            result.status ? (std::to_string(result.status) + " " + result.body).c_str() : result.error.c_str());
            }
        };
        // A two-process cache's front forwards the purge to its disk back. When the front does
        // not answer at all, the back is purged directly, so that a front started again cannot
        // be refilled from the back's old copies; the cache still counts as failed.
        const auto result = post(config.ports.cache_admin);
        print(server->name, result);
        if (result.status == 200) continue;
        ++failures;
        if (result.status == 0 && server->cache_tiers == config::CacheTiers::two_process) {
            print(server->name + "/disk", post(config.ports.cache_backend_admin));
        }
    }
    if (caches == 0) {
        std::fprintf(stderr, "udn admin flush: no cache servers%s in %s\n", options.pops.empty() ? "" : " in those POPs",
                     options.config_path.c_str());
        return 1;
    }
    std::printf("%d of %d caches purged\n", caches - failures, caches);
    return failures == 0 ? 0 : 1;
}

}  // namespace udn::cache::control
