// HTTP(S) check with libcurl: a fresh connection per check (so connect and TLS times are a new
// visitor's), the response time broken down from curl's *_TIME_T values, then status and
// content checks. TLS peers are not verified: origins are addressed by IP and the check is
// about availability and content, not identity (docs/probes.md).
#include <curl/curl.h>
#include <openssl/evp.h>

#include <memory>

#include "probe/service/checks.hpp"
#include "probe/service/content_match.hpp"

namespace udn::probe::service {
namespace {

constexpr std::size_t max_kept_body_bytes = 1 << 20;

struct BodySink {
    std::string kept;  // the first max_kept_body_bytes, for substring and regex checks
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest{EVP_MD_CTX_new(), &EVP_MD_CTX_free};

    static std::size_t write(char* data, std::size_t size, std::size_t count, void* user) {
        auto* sink = static_cast<BodySink*>(user);
        const auto bytes = size * count;
        EVP_DigestUpdate(sink->digest.get(), data, bytes);
        if (sink->kept.size() < max_kept_body_bytes) {
            sink->kept.append(data, std::min(bytes, max_kept_body_bytes - sink->kept.size()));
        }
        return bytes;
    }

    std::string hex_digest() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned length = 0;
        EVP_DigestFinal_ex(this->digest.get(), digest, &length);
        static constexpr char digits[] = "0123456789abcdef";
        std::string hex;
        for (unsigned i = 0; i < length; ++i) {
            hex += digits[digest[i] >> 4];
            hex += digits[digest[i] & 15];
        }
        return hex;
    }
};

std::uint32_t micros(CURL* curl, CURLINFO info) {
    curl_off_t value = 0;
    curl_easy_getinfo(curl, info, &value);
    return value > 0 ? static_cast<std::uint32_t>(std::min<curl_off_t>(value, UINT32_MAX)) : 0;
}

report::CheckResult classify(CURLcode code) {
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT: return report::CheckResult::timeout;
        case CURLE_COULDNT_CONNECT: return report::CheckResult::connect_failed;
        case CURLE_COULDNT_RESOLVE_HOST: return report::CheckResult::resolve_failed;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION: return report::CheckResult::tls_failed;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING: return report::CheckResult::protocol_error;
        default: return report::CheckResult::other_error;
    }
}

std::string url_of(const Target& target, bool tls) {
    const auto& address = target.endpoint.address;
    const auto host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
    const auto& path = target.check.path.empty() ? std::string("/") : target.check.path;
    return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(target.endpoint.port) +
           (path.front() == '/' ? path : "/" + path);
}

}  // namespace

Outcome http_check(const Target& target, bool tls) {
    Outcome outcome;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) {
        outcome.detail = "curl_easy_init failed";
        return outcome;
    }
    BodySink sink;
    EVP_DigestInit_ex(sink.digest.get(), EVP_sha256(), nullptr);
    const auto url = url_of(target, tls);
    const auto host_header = "Host: " + target.host;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, host_header.c_str()), &curl_slist_free_all);
    char error_text[CURL_ERROR_SIZE] = {};
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "udn-probe/1");
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(target.check.timeout_ms));
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_PROXY, "");
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &BodySink::write);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);

    const CURLcode code = curl_easy_perform(handle);
    outcome.timing.dns_us = micros(handle, CURLINFO_NAMELOOKUP_TIME_T);
    outcome.timing.connect_us = micros(handle, CURLINFO_CONNECT_TIME_T);
    outcome.timing.tls_us = tls ? micros(handle, CURLINFO_APPCONNECT_TIME_T) : 0;
    outcome.timing.first_byte_us = micros(handle, CURLINFO_STARTTRANSFER_TIME_T);
    outcome.timing.total_us = micros(handle, CURLINFO_TOTAL_TIME_T);
    if (code != CURLE_OK) {
        outcome.result = classify(code);
        outcome.detail = error_text[0] ? error_text : curl_easy_strerror(code);
        return outcome;
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    outcome.code = static_cast<std::uint16_t>(status);
    if (status != target.check.expect_status) {
        outcome.result = report::CheckResult::bad_status;
        outcome.detail = "status " + std::to_string(status) + ", expected " + std::to_string(target.check.expect_status);
        return outcome;
    }
    const ContentMatcher matcher(target.check);
    if (auto mismatch = matcher.mismatch(sink.kept, sink.hex_digest())) {
        outcome.result = report::CheckResult::content_mismatch;
        outcome.detail = std::move(*mismatch);
        return outcome;
    }
    outcome.result = report::CheckResult::ok;
    outcome.detail = "status " + std::to_string(status);
    return outcome;
}

}  // namespace udn::probe::service
