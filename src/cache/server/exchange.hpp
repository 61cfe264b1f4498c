// One request/response exchange on a client connection: the cache logic of a GET/HEAD (memory
// tier, disk tier, collapsing onto an in-flight fetch, revalidation, stale serving) and
// pass-through of everything else, writing the response with scatter-gather writes.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cache/http/range.hpp"
#include "cache/http/request_parser.hpp"
#include "cache/server/context.hpp"
#include "cache/server/guarded_socket.hpp"

namespace udn::cache::http {
struct CacheControl;
}  // namespace udn::cache::http

namespace udn::cache::server {
struct FillJob;
struct Route;
struct SliceFetch;
}  // namespace udn::cache::server

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
    awaitable<bool> serve_cacheable(Request& request, const Route& route, ExchangeRecord& record);
    // Everything serve_cacheable does not answer itself: variants, slices, stale objects,
    // fetches. `found` is what it found for the plain key when `looked_up`.
    awaitable<bool> serve_lookup(Request& request, const Route& route, ExchangeRecord& record, const http::CacheControl& cc,
                                 store::ObjectPtr found, bool looked_up);
    // A miss on a site with slice_bytes: the object in slices, fetching only the missing ones
    // (slice_exchange.cpp). Sets `fell_back` (having sent nothing) when the whole-object path
    // must answer instead.
    awaitable<bool> serve_sliced(Request& request, const Route& route, ExchangeRecord& record,
                                 const http::CacheControl& cc, bool& fell_back);
    // Joins the fetch of slice `index` under way, or starts it; with `stale` (the stored slice
    // whose freshness ran out) the fetch is conditional, and a 304 or an origin failure within
    // stale-if-error gives that slice back refreshed or as it was.
    awaitable<SliceFetch> fetch_slice(const Request& request, const Route& route, const http::CacheControl& cc,
                                      std::uint64_t index, std::string validator, store::ObjectPtr stale = nullptr);
    // Sends `head` (once, if not empty) and body bytes [offset, end) of an object that may still
    // fill; false when the connection failed or the object ended short.
    awaitable<bool> send_part(std::string& head, const store::ObjectPtr& object, std::size_t offset, std::size_t end,
                              ExchangeRecord& record);
    awaitable<bool> serve_pass(Request& request, const Route& route, ExchangeRecord& record, const char* why);
    // `note`: what the fetch that filled `object` learned (null for stored objects).
    awaitable<bool> send_object(Request& request, store::ObjectPtr object, ExchangeRecord& record,
                                std::string_view cache_status, const FetchNote* note = nullptr);
    // Parts of send_object kept out of its frame: the 502 for a failed fetch; the head's
    // Age and Cache-Status fields (and a 304's fields) into scratch_, true for a 304; a Range
    // answer (206, or 416 when not `satisfiable`).
    awaitable<bool> send_unreachable(const Request& request, ExchangeRecord& record);
    bool append_validation_fields(const Request& request, const store::Object& object, ExchangeRecord& record,
                                  std::string_view cache_status, const FetchNote* note);
    awaitable<bool> send_range(Request& request, const store::ObjectPtr& object, ExchangeRecord& record, bool keep_alive,
                               bool satisfiable, http::ByteRange range);
    // The upstream request heads of a fetch: to the origins, and to the disk back on a memory
    // front. add_field appends a field line to both; end_heads closes them.
    void prepare_heads(FillJob& job, std::string_view method, const Route& route, const Request& request, bool pass) const;
    static void add_field(FillJob& job, std::string_view name, std::string_view value);
    static void end_heads(FillJob& job);
    // A memory front's check that a request did not come from itself (508 Loop Detected).
    bool looped(const Request& request) const;
    awaitable<bool> refuse_loop(const Request& request, ExchangeRecord& record);
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
    // The client's Host (or absolute-form authority) and origin-form target, as the disk back
    // must see them; views into the request, valid during run().
    std::string_view client_host_;
    std::string_view client_target_;
};

}  // namespace udn::cache::server
