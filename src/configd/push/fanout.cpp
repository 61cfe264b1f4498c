#include "configd/push/fanout.hpp"

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "configd/transport/tls.hpp"

namespace udn::configd::push {

namespace {

using transport::NodeResult;
using transport::RouteNode;

void report_subtree(const RouteNode& node, const std::set<std::string>& reported, const std::string& state,
                    const std::string& reason, const ResultSink& sink) {
    if (!reported.contains(node.name)) sink(NodeResult{node.name, state, 0, reason});
    for (const auto& child : node.children) {
        report_subtree(child, reported, state, "no answer through " + node.name + ": " + reason, sink);
    }
}

// One target, in its own thread.
void send_to(const RouteNode& target, const RequestBuilder& build_request, const FanoutOptions& options,
             const ResultSink& sink) {
    std::set<std::string> reported;
    std::string last_error;
    bool last_attempt_connected = false;
    const auto request = build_request(target);
    for (int attempt = 1; attempt <= options.attempts; ++attempt) {
        if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
        auto connected =
            transport::Connection::connect(target.address, target.port, options.connect_timeout_ms, options.io_timeout_ms);
        last_attempt_connected = !std::holds_alternative<std::string>(connected);
        if (!last_attempt_connected) {
            last_error = std::get<std::string>(connected);
            continue;
        }
        auto& connection = std::get<transport::Connection>(connected);
        if (auto error = connection.send(request)) {
            last_error = *error;
            continue;
        }
        for (;;) {
            auto received = connection.receive();
            if (auto* error = std::get_if<std::string>(&received)) {
                last_error = *error;
                break;
            }
            const auto& frame = std::get<transport::Frame>(received);
            if (frame.type == transport::MessageType::done) return;
            auto result = transport::decode_node_result(frame);
            if (auto* error = std::get_if<transport::DecodeError>(&result)) {
                last_error = error->reason;
                break;
            }
            auto& node_result = std::get<NodeResult>(result);
            if (attempt > 1 && node_result.node == target.name && node_result.reason.empty()) {
                // The operator should know the transfer needed a second try, and why.
                node_result.reason = "delivered on attempt " + std::to_string(attempt) + " after: " + last_error;
            }
            reported.insert(node_result.node);
            sink(node_result);
        }
    }
    if (!last_attempt_connected) {
        // Down (or died during the transfer): it catches up from its parent when it starts;
        // its children are reached directly.
        sink(NodeResult{target.name, "unreachable", 0, last_error});
        fan_out(target.children, build_request, options, sink);
        return;
    }
    report_subtree(target, reported, "failed", last_error, sink);
}

}  // namespace

void fan_out(const std::vector<RouteNode>& targets, const RequestBuilder& build_request, const FanoutOptions& options,
             const ResultSink& on_result) {
    std::mutex sink_mutex;
    const ResultSink serialised = [&](const NodeResult& result) {
        std::lock_guard lock(sink_mutex);
        on_result(result);
    };
    std::vector<std::thread> threads;
    threads.reserve(targets.size());
    for (const auto& target : targets) {
        threads.emplace_back([&, target_ptr = &target] { send_to(*target_ptr, build_request, options, serialised); });
    }
    for (auto& thread : threads) thread.join();
}

}  // namespace udn::configd::push
