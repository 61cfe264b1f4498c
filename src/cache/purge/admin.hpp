// The cache's admin port: GET /healthz, GET /metrics (Prometheus text), and the authenticated
// POST /purge?url=URL | prefix=URL | site=HOST | all=1, which empties both tiers for the very
// next request.
#pragma once
#include "cache/server/exchange.hpp"

namespace udn::cache::purge {

awaitable<bool> serve_admin(server::Context& context, server::Exchange& exchange, server::Request& request,
                            server::ExchangeRecord& record);

struct PurgeResult {
    std::size_t memory_objects = 0;
    std::size_t disk_objects = 0;
    std::string error;  // non-empty: nothing was purged
};

// kind: "url", "prefix", "site" or "all".
PurgeResult purge(server::Context& context, std::string_view kind, std::string_view value);
std::string metrics_text(server::Context& context);
std::string percent_decode(std::string_view text);

}  // namespace udn::cache::purge
