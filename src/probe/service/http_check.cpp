// HTTP(S) check with libcurl's multi interface: a fresh connection per check (so connect and
// TLS times are a new visitor's), the response time broken down from curl's *_TIME_T values,
// then status and content checks. TLS peers are not verified: origins are addressed by IP and
// the check is about availability and content, not identity (docs/probes.md).
#include <sys/epoll.h>

#include <memory>
#include <stdexcept>

#include "common/crypto/sha256.hpp"
#include "probe/service/content_match.hpp"
#include "probe/service/http_checks.hpp"

namespace udn::probe::service {
namespace {

constexpr std::size_t max_kept_body_bytes = 1 << 20;

struct BodySink {
    std::string kept;  // the first max_kept_body_bytes, for substring and regex checks
    crypto::Sha256 digest;

    static std::size_t write(char* data, std::size_t size, std::size_t count, void* user) {
        auto* sink = static_cast<BodySink*>(user);
        const auto bytes = size * count;
        sink->digest.add({data, bytes});
        if (sink->kept.size() < max_kept_body_bytes) {
            sink->kept.append(data, std::min(bytes, max_kept_body_bytes - sink->kept.size()));
        }
        return bytes;
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

class HttpCheck final : public RunningCheck {
public:
    HttpCheck(HttpChecks& owner, const Target& target, bool tls, CheckDone done)
        : owner_(owner), target_(target), tls_(tls), done_(std::move(done)) {}

    ~HttpCheck() override {
        if (added_) curl_multi_remove_handle(owner_.multi(), curl_.get());
    }

    // Sets the easy handle up and hands it to the multi handle; false when curl refused.
    bool begin(std::string& error) {
        if (!curl_ || !headers_) {
            error = "curl_easy_init failed";
            return false;
        }
        sink_.digest = crypto::Sha256{};
        CURL* handle = curl_.get();
        curl_easy_setopt(handle, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers_.get());
        curl_easy_setopt(handle, CURLOPT_USERAGENT, "udn-probe/1");
        curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(target_.check.timeout_ms));
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(handle, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(handle, CURLOPT_PROXY, "");
        curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &BodySink::write);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink_);
        curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text_);
        curl_easy_setopt(handle, CURLOPT_PRIVATE, this);
        const auto code = curl_multi_add_handle(owner_.multi(), handle);
        if (code != CURLM_OK) {
            error = std::string("curl_multi_add_handle: ") + curl_multi_strerror(code);
            return false;
        }
        added_ = true;
        return true;
    }

    // curl finished the transfer: judge it, then report (the last thing this object does).
    void finish(CURLcode code) {
        auto outcome = judge(code);
        curl_multi_remove_handle(owner_.multi(), curl_.get());
        added_ = false;
        auto done = std::move(done_);
        done(std::move(outcome));
    }

    Outcome expire() override {
        Outcome outcome;
        fill_timing(outcome);
        outcome.result = report::CheckResult::timeout;
        outcome.detail = "no complete response within " + std::to_string(target_.check.timeout_ms) + " ms";
        return outcome;
    }

private:
    void fill_timing(Outcome& outcome) const {
        CURL* handle = curl_.get();
        outcome.timing.dns_us = micros(handle, CURLINFO_NAMELOOKUP_TIME_T);
        outcome.timing.connect_us = micros(handle, CURLINFO_CONNECT_TIME_T);
        outcome.timing.tls_us = tls_ ? micros(handle, CURLINFO_APPCONNECT_TIME_T) : 0;
        outcome.timing.first_byte_us = micros(handle, CURLINFO_STARTTRANSFER_TIME_T);
        outcome.timing.total_us = micros(handle, CURLINFO_TOTAL_TIME_T);
    }

    Outcome judge(CURLcode code) {
        Outcome outcome;
        fill_timing(outcome);
        if (code != CURLE_OK) {
            outcome.result = classify(code);
            outcome.detail = error_text_[0] ? error_text_ : curl_easy_strerror(code);
            return outcome;
        }
        long status = 0;
        curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &status);
        outcome.code = static_cast<std::uint16_t>(status);
        if (status != target_.check.expect_status) {
            outcome.result = report::CheckResult::bad_status;
            outcome.detail =
                "status " + std::to_string(status) + ", expected " + std::to_string(target_.check.expect_status);
            return outcome;
        }
        const ContentMatcher matcher(target_.check);
        if (auto mismatch = matcher.mismatch(sink_.kept, sink_.digest.finish_hex())) {
            outcome.result = report::CheckResult::content_mismatch;
            outcome.detail = std::move(*mismatch);
            return outcome;
        }
        outcome.result = report::CheckResult::ok;
        outcome.detail = "status " + std::to_string(status);
        return outcome;
    }

    HttpChecks& owner_;
    const Target& target_;
    bool tls_;
    CheckDone done_;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_{curl_easy_init(), &curl_easy_cleanup};
    std::string url_ = url_of(target_, tls_);
    std::string host_header_ = "Host: " + target_.host;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers_{
        curl_slist_append(nullptr, host_header_.c_str()), &curl_slist_free_all};
    BodySink sink_;
    char error_text_[CURL_ERROR_SIZE] = {};
    bool added_ = false;
};

}  // namespace

HttpChecks::HttpChecks(net::Reactor& reactor) : reactor_(reactor), multi_(curl_multi_init()) {
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpChecks::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpChecks::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

HttpChecks::~HttpChecks() {
    if (timer_) reactor_.cancel_timer(*timer_);
    curl_multi_cleanup(multi_);
}

std::unique_ptr<RunningCheck> HttpChecks::start(const Target& target, bool tls, CheckDone done) {
    auto check = std::make_unique<HttpCheck>(*this, target, tls, done);
    std::string error;
    if (check->begin(error)) return check;
    done(Outcome{report::CheckResult::other_error, 0, {}, error});
    return nullptr;
}

int HttpChecks::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    auto* checks = static_cast<HttpChecks*>(self);
    if (what == CURL_POLL_REMOVE) {
        checks->reactor_.unwatch(fd);
        return 0;
    }
    std::uint32_t events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
    const bool watching = checks->reactor_.watch(fd, events, [checks, fd](std::uint32_t ready) {
        int bits = 0;
        if (ready & (EPOLLIN | EPOLLHUP)) bits |= CURL_CSELECT_IN;
        if (ready & EPOLLOUT) bits |= CURL_CSELECT_OUT;
        if (ready & EPOLLERR) bits |= CURL_CSELECT_ERR;
        checks->act(fd, bits);
    });
    return watching ? 0 : -1;  // -1 makes curl fail that transfer rather than wait forever
}

int HttpChecks::on_timer(CURLM*, long timeout_ms, void* self) {
    auto* checks = static_cast<HttpChecks*>(self);
    if (checks->timer_) checks->reactor_.cancel_timer(*checks->timer_);
    checks->timer_.reset();
    if (timeout_ms < 0) return 0;
    // Never call curl back from inside its own callback: even "now" (0) goes through the reactor.
    checks->timer_ = checks->reactor_.add_timer(checks->reactor_.now() + std::chrono::milliseconds(timeout_ms),
                                                [checks] {
                                                    checks->timer_.reset();
                                                    checks->act(CURL_SOCKET_TIMEOUT, 0);
                                                });
    return 0;
}

void HttpChecks::act(curl_socket_t fd, int event_bits) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, event_bits, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        void* check = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &check);
        const auto result = message->data.result;
        // finish() removes the handle, which invalidates `message`: read it first.
        if (check) static_cast<HttpCheck*>(check)->finish(result);
    }
}

}  // namespace udn::probe::service
