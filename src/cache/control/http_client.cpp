// Blocking libcurl requests; see http_client.hpp.
#include "cache/control/http_client.hpp"

#include <curl/curl.h>

namespace udn::cache::control {

namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
    auto* result = static_cast<std::pair<std::string*, bool>*>(user);
    if (result->second) result->first->append(data, size * count);
    return size * count;
}

}  // namespace

HttpResult http_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                        long timeout_ms, bool keep_body) {
    HttpResult result;
    CURL* curl = curl_easy_init();
    if (!curl) {
        result.error = "libcurl initialisation failed";
        return result;
    }
    curl_slist* list = nullptr;
    for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
    std::pair<std::string*, bool> sink{&result.body, keep_body};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never through an environment proxy
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    const auto code = curl_easy_perform(curl);
    if (code == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    } else {
        result.error = curl_easy_strerror(code);
    }
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return result;
}

}  // namespace udn::cache::control
