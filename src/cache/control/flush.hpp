// `udn admin flush`: sends an authenticated purge to every cache of the network (or of the
// chosen POPs) and reports each one's result; exits non-zero when any cache failed.
#pragma once
#include <string>
#include <vector>

namespace udn::cache::control {

struct FlushOptions {
    std::string config_path;
    std::string target;
    bool prefix = false;
    bool site = false;
    bool all = false;
    std::vector<std::string> pops;
    long timeout_ms = 5000;
};

int run_flush(const FlushOptions& options);

// Percent-encodes a query parameter value.
std::string query_escape(std::string_view text);

}  // namespace udn::cache::control
