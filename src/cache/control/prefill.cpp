// Cache prefill and crawl; see prefill.hpp.
#include "cache/control/prefill.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <set>

#include "cache/control/http_client.hpp"
#include "common/config/loader.hpp"

namespace udn::cache::control {

namespace {

struct Url {
    std::string host;
    std::string target;
};

bool split(const std::string& url, Url& out) {
    if (url.rfind("http://", 0) != 0) return false;
    const auto rest = url.substr(7);
    const auto slash = rest.find('/');
    out.host = rest.substr(0, slash);
    out.target = slash == std::string::npos ? "/" : rest.substr(slash);
    return !out.host.empty();
}

std::string first_segment(const std::string& target) {
    const auto end = target.find_first_of("/?", 1);
    return target.substr(0, end);
}

void progress(std::size_t done, std::size_t total, std::size_t failed) {
    const int width = 30;
    const int filled = total ? static_cast<int>(done * width / total) : width;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu requests, %zu failed", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total, failed);
    std::fflush(stderr);
}

}  // namespace

std::vector<std::string> same_site_links(const std::string& page_url, const std::string& html) {
    Url page;
    std::vector<std::string> links;
    if (!split(page_url, page)) return links;
    const auto page_segment = first_segment(page.target);
    std::size_t pos = 0;
    while (true) {
        const auto href = html.find("href=", pos);
        const auto src = html.find("src=", pos);
        const auto at = std::min(href, src);
        if (at == std::string::npos) break;
        pos = at + (at == href ? 5 : 4);
        if (pos >= html.size()) break;
        const char quote = html[pos];
        if (quote != '"' && quote != '\'') continue;
        const auto end = html.find(quote, pos + 1);
        if (end == std::string::npos) break;
        std::string link = html.substr(pos + 1, end - pos - 1);
        pos = end + 1;
        link = link.substr(0, link.find('#'));
        if (link.empty() || link.rfind("mailto:", 0) == 0 || link.rfind("javascript:", 0) == 0) continue;
        std::string absolute;
        if (link.rfind("http://", 0) == 0) {
            absolute = link;
        } else if (link.rfind("//", 0) == 0) {
            absolute = "http:" + link;
        } else if (link.front() == '/') {
            absolute = "http://" + page.host + link;
        } else {
            const auto base = page.target.substr(0, page.target.rfind('/') + 1);
            absolute = "http://" + page.host + base + link;
        }
        Url candidate;
        if (!split(absolute, candidate) || candidate.host != page.host) continue;
        // Path-form sites (/<domain>/...) stay within the same origin domain.
        if (page_segment.find('.') != std::string::npos && first_segment(candidate.target) != page_segment) continue;
        links.push_back(absolute);
    }
    return links;
}

int run_prefill(const PrefillOptions& options) {
    if (options.url_file.empty() == options.start_url.empty()) {
        std::fprintf(stderr, "udn admin prefill: give exactly one of --urls FILE or --start URL\n");
        return 2;
    }
    auto loaded = config::load_file(options.config_path);
    if (!loaded.ok()) {
        std::fprintf(stderr, "udn admin prefill: configuration rejected:\n%s\n", loaded.error_text().c_str());
        return 1;
    }
    const auto& config = *loaded.config;
    std::vector<std::string> caches;  // "http://addr:port"
    for (const auto* server : config.servers_with_role(config::Role::cache)) {
        if (!options.pops.empty() && std::find(options.pops.begin(), options.pops.end(), server->pop) == options.pops.end()) {
            continue;
        }
        if (server->addresses.empty()) continue;
        const auto& address = server->addresses.front();
        caches.push_back("http://" + (address.is_v4() ? address.to_string() : "[" + address.to_string() + "]") + ":" +
                         std::to_string(config.ports.http));
    }
    if (caches.empty()) {
        std::fprintf(stderr, "udn admin prefill: no cache servers to load\n");
        return 1;
    }
    std::size_t failed = 0;
    std::size_t done = 0;
    const auto load = [&](const std::string& url, bool keep_body) {
        Url parts;
        std::string body;
        if (!split(url, parts)) {
            std::fprintf(stderr, "\nudn admin prefill: skipping '%s': not an http:// URL\n", url.c_str());
            ++failed;
            return body;
        }
        for (const auto& cache : caches) {
            const auto result = http_request("GET", cache + parts.target, {"Host: " + parts.host}, options.timeout_ms,
                                             keep_body && body.empty());
            if (result.status < 200 || result.status >= 400) ++failed;
            if (keep_body && body.empty()) body = result.body;
            ++done;
        }
        return body;
    };
    if (!options.url_file.empty()) {
        std::vector<std::string> urls;
        std::ifstream file(options.url_file);
        std::istream& in = options.url_file == "-" ? std::cin : file;
        if (options.url_file != "-" && !file) {
            std::fprintf(stderr, "udn admin prefill: cannot read %s\n", options.url_file.c_str());
            return 1;
        }
        for (std::string line; std::getline(in, line) && urls.size() < options.max_urls;) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (!line.empty() && line.front() != '#') urls.push_back(line);
        }
        const auto total = urls.size() * caches.size();
        for (const auto& url : urls) {
            load(url, false);
            progress(done, total, failed);
        }
    } else {
        std::set<std::string> seen{options.start_url};
        std::deque<std::pair<std::string, int>> queue{{options.start_url, 0}};
        while (!queue.empty()) {
            auto [url, depth] = queue.front();
            queue.pop_front();
            const auto html = load(url, depth < options.depth);
            for (const auto& link : same_site_links(url, html)) {
                if (seen.size() >= options.max_urls || depth >= options.depth) break;
                if (seen.insert(link).second) queue.emplace_back(link, depth + 1);
            }
            progress(done, seen.size() * caches.size(), failed);
        }
    }
    std::fprintf(stderr, "\n");
    std::printf("prefilled %zu requests into %zu caches, %zu failed\n", done, caches.size(), failed);
    return failed == 0 ? 0 : 1;
}

}  // namespace udn::cache::control
