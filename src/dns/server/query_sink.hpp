// Where workers report each answered query (counters, query log). Implementations must be
// cheap and thread-safe; workers call it once per query on the hot path.
#pragma once
#include "common/net/ip_address.hpp"
#include "dns/server/query_handler.hpp"

namespace udn::dns::server {

class QuerySink {
public:
    virtual ~QuerySink() = default;
    virtual void on_query(std::size_t worker, const QueryInfo& info, const net::IpAddress& client,
                          Transport transport, std::int64_t now_ms) = 0;
};

}  // namespace udn::dns::server
