// One request/response exchange on a client connection: the cache logic of a GET/HEAD (memory
// tier, disk tier, collapsing onto an in-flight fetch, revalidation, stale serving) and
// pass-through of everything else, writing the response with scatter-gather writes.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cache/http/request_parser.hpp"
#include "cache/server/context.hpp"
#include "cache/server/guarded_socket.hpp"

namespace udn::cache::server {

struct Request {
    http::RequestHead head;
    std::string body;             // decoded request body (unsafe methods only)
    std::string client_address;
    std::int64_t arrival_ms = 0;  // Unix ms
    std::chrono::steady_clock::time_point arrival;
};

// What the exchange did, for the access log.
struct ExchangeRecord {
    int status = 0;
    std::uint64_t body_bytes = 0;
    const char* result = "ERROR";
    std::string customer;
    std::string origin;
    double first_byte_ms = 0;
};

class Exchange {
public:
    Exchange(Context& context, GuardedSocket& socket, std::vector<asio::const_buffer>& gather,
             std::vector<std::span<const char>>& views, std::string& scratch)
        : context_(context), socket_(socket), gather_(gather), views_(views), scratch_(scratch) {}

    // Answers one request; returns false when the connection must close.
    awaitable<bool> run(Request& request, ExchangeRecord& record);

    // A complete small response with Connection: close or keep-alive.
    awaitable<bool> send_simple(int status, std::string_view body, bool keep_alive, ExchangeRecord& record,
                                std::string_view extra_headers = {});

private:
    awaitable<bool> serve_cacheable(Request& request, const struct Route& route, ExchangeRecord& record);
    awaitable<bool> serve_pass(Request& request, const struct Route& route, ExchangeRecord& record, const char* why);
    awaitable<bool> send_object(Request& request, store::ObjectPtr object, ExchangeRecord& record,
                                std::string_view cache_status);
    awaitable<bool> write_all(std::string_view what);
    // Writes the head gathered in gather_, then `file_bytes` of `file_fd` with sendfile(2).
    awaitable<bool> send_head_and_file(int file_fd, std::size_t file_bytes);
    void mark_first_byte(const Request& request, ExchangeRecord& record);

    Context& context_;
    GuardedSocket& socket_;
    std::vector<asio::const_buffer>& gather_;
    std::vector<std::span<const char>>& views_;
    std::string& scratch_;
    bool first_byte_marked_ = false;
};

}  // namespace udn::cache::server
