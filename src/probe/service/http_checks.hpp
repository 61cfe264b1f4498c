// HTTP(S) checks through libcurl's multi interface, driven by a Reactor: curl tells us which
// sockets to watch and when to wake it (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION), the reactor
// hands their events back with curl_multi_socket_action. One per reactor; single-threaded.
#pragma once
#include <curl/curl.h>

#include <memory>
#include <optional>

#include "probe/net/reactor.hpp"
#include "probe/service/running_check.hpp"

namespace udn::probe::service {

class HttpChecks {
public:
    // Throws std::runtime_error when libcurl cannot make a multi handle (control path).
    explicit HttpChecks(net::Reactor& reactor);
    ~HttpChecks();
    HttpChecks(const HttpChecks&) = delete;
    HttpChecks& operator=(const HttpChecks&) = delete;

    std::unique_ptr<RunningCheck> start(const Target& target, bool tls, CheckDone done);

    // Used by the checks it started.
    CURLM* multi() const { return multi_; }

private:
    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    // Hands an event (or a timeout, fd = CURL_SOCKET_TIMEOUT) to curl, then finishes what completed.
    void act(curl_socket_t fd, int event_bits);

    net::Reactor& reactor_;
    CURLM* multi_;
    std::optional<net::Reactor::TimerId> timer_;
};

}  // namespace udn::probe::service
