// A small blocking HTTP client (libcurl) for the operator's tools: flush and prefill talk to
// caches over loopback or the network, one request at a time, always with a timeout.
#pragma once
#include <string>
#include <vector>

namespace udn::cache::control {

struct HttpResult {
    long status = 0;       // 0 when no response arrived
    std::string body;
    std::string error;     // transport error, empty when a response arrived
};

HttpResult http_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                        long timeout_ms, bool keep_body = true);

}  // namespace udn::cache::control
