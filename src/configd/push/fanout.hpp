// Sends one phase of a push (PREPARE, COMMIT or ABORT) to a set of route nodes in parallel and
// relays every node result they stream back. Used by the admin tool (to the masters) and by
// each daemon (to its children), so the whole tree behaves the same at every level:
//   - a connection that breaks mid-stream is retried (the phases are idempotent per push id);
//   - a node that cannot be connected to is reported "unreachable" and its children are
//     adopted: contacted directly, so one dead node does not cut off its subtree;
//   - a node that was reached but never finished is reported "failed", with its unreported
//     descendants.
#pragma once
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "configd/transport/messages.hpp"

namespace udn::configd::push {

struct FanoutOptions {
    int connect_timeout_ms = 1000;
    int io_timeout_ms = 10000;  // silence allowed while waiting for a subtree's results
    int attempts = 2;
};

// Builds the request for `target`, carrying target.children as the rest of the route.
using RequestBuilder = std::function<transport::Frame(const transport::RouteNode& target)>;
// Called from several threads, one result at a time (the fan-out serialises the calls).
using ResultSink = std::function<void(const transport::NodeResult& result)>;

void fan_out(const std::vector<transport::RouteNode>& targets, const RequestBuilder& build_request,
             const FanoutOptions& options, const ResultSink& on_result);

}  // namespace udn::configd::push
