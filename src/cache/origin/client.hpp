// Fetches one response from a customer's origins: tries the mirrors in the order the health
// table gives, moves on after a connect failure, timeout, malformed response or 5xx (for
// idempotent requests), and hands back the response head with a body reader that streams.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cache/http/chunked.hpp"
#include "cache/origin/health.hpp"
#include "cache/server/asio.hpp"
#include "cache/server/guarded_socket.hpp"

namespace udn::cache::origin {

struct Timeouts {
    std::chrono::milliseconds connect{2000};
    std::chrono::milliseconds first_byte{10000};
    std::chrono::milliseconds idle{10000};  // between body reads
};

struct OriginRequest {
    std::string head;  // request line + header fields + CRLF CRLF; built by the caller
    std::string body;
    bool idempotent = true;
    bool head_method = false;  // HEAD: the response has no body whatever it says
};

class OriginResponse {
public:
    struct Piece {
        std::span<const char> data;  // valid until the next call
        bool done = false;
        bool error = false;
    };

    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::uint64_t> content_length;  // of the body as framed by the origin
    bool chunked = false;
    const config::Origin* origin = nullptr;

    const std::string* header(std::string_view name) const;
    // Next piece of the body; done at its end (also at once for bodiless responses).
    awaitable<Piece> read_body();
    void close();

    // Where the connection goes when the body ended cleanly and the peer allows another
    // request on it (keep-alive pools); without one, the connection is closed at the end.
    using Reuse = std::function<void(std::shared_ptr<GuardedSocket>)>;

private:
    friend class Fetcher;
    void end_of_body();

    std::shared_ptr<GuardedSocket> socket_;
    Reuse reuse_;
    bool keep_alive_ = false;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    http::ChunkedDecoder decoder_;
    std::uint64_t remaining_ = 0;
    bool until_close_ = false;
    bool finished_ = false;
    Timeouts timeouts_;
};

struct FetchOutcome {
    std::unique_ptr<OriginResponse> response;  // null when no origin answered
    std::string error;                          // why, when response is null
    int attempts = 0;
};

awaitable<FetchOutcome> fetch(std::vector<const config::Origin*> ordered, HealthTable& health,
                              const OriginRequest& request, Timeouts timeouts);

struct ExchangeOutcome {
    std::unique_ptr<OriginResponse> response;  // null on failure
    std::string error;
    bool nothing_received = false;  // failed before any response byte (a closed keep-alive connection)
};

// One request on an already connected socket (`peer` names it in errors; `origin` is what the
// response reports as its origin, may be null). `reuse` receives the socket back after a
// cleanly ended body when the response allows keep-alive.
awaitable<ExchangeOutcome> exchange(std::shared_ptr<GuardedSocket> socket, const OriginRequest& request, Timeouts timeouts,
                                    std::string_view peer, const config::Origin* origin, OriginResponse::Reuse reuse);

}  // namespace udn::cache::origin
