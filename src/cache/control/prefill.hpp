// `udn admin prefill` (the seed's spider): loads the caches of chosen POPs with a list of URLs,
// or with the pages found by crawling from a start page within the same site to a depth, by
// requesting each URL from each cache (a miss makes the cache fetch and store it). Shows a
// progress bar on stderr; exits non-zero when any request failed.
#pragma once
#include <string>
#include <vector>

namespace udn::cache::control {

struct PrefillOptions {
    std::string config_path;
    std::string url_file;
    std::string start_url;
    int depth = 2;
    std::size_t max_urls = 1000;
    std::vector<std::string> pops;
    long timeout_ms = 10000;
};

int run_prefill(const PrefillOptions& options);

// Links (href/src attribute values) of an HTML page, resolved against `page_url`, limited to
// the same host and, for path-form URLs, the same first path segment.
std::vector<std::string> same_site_links(const std::string& page_url, const std::string& html);

}  // namespace udn::cache::control
