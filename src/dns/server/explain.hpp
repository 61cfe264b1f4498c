// `udn admin explain NAME CLIENT`: the decision for a GSLB name and a client, with every
// candidate's inputs and score. Computed inside a running server from its live probe data (the
// admin endpoint GET /explain?name=&client=&type=), or from a configuration alone.
#pragma once
#include <cstdint>
#include <string>

#include "dns/server/serving_state.hpp"

namespace udn::dns::server {

struct ExplainResult {
    bool ok = false;
    std::string text;  // the explanation, or what is wrong with the request
};

// `shared` null: configuration only (no probe data). `client` is an address or a CIDR (ECS).
// Read-only: neither persistence nor the measurement queue is touched.
ExplainResult explain_decision(const ServingState& serving, const SharedState* shared, std::string_view name,
                               std::string_view client, std::string_view type, std::int64_t now_ms);

// The admin endpoint of a running dns role: GET http://ADDRESS:PORT/explain?... over a plain
// socket; throws std::runtime_error with what failed.
std::string fetch_explanation(const net::Endpoint& admin, std::string_view name, std::string_view client,
                              std::string_view type);

}  // namespace udn::dns::server
