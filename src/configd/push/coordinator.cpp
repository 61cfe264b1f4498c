#include "configd/push/coordinator.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace udn::configd::push {

namespace {

using transport::MessageType;
using transport::NodeResult;
using transport::RouteNode;

std::map<std::string, NodeResult> run_phase(const std::string& phase, const std::vector<RouteNode>& route,
                                            const std::vector<std::string>& nodes, const RequestBuilder& build,
                                            const CoordinatorOptions& options) {
    std::map<std::string, NodeResult> results;
    PhaseProgress progress{phase, 0, nodes.size()};
    if (options.on_progress) options.on_progress(progress);
    fan_out(route, build, options.fanout, [&](const NodeResult& result) {
        results[result.node] = result;  // a retried subtree reports again: the last word counts
        progress.answered = results.size();
        if (options.on_progress) options.on_progress(progress);
    });
    for (const auto& node : nodes) {
        if (!results.contains(node)) results[node] = NodeResult{node, "failed", 0, "no answer"};
    }
    return results;
}

RequestBuilder phase_builder(MessageType type, const std::string& push_id, int timeout_ms) {
    return [type, push_id, timeout_ms](const RouteNode& target) {
        auto frame = transport::encode(type, transport::PhaseRequest{target.name, push_id, target.children});
        frame.json["timeout_ms"] = timeout_ms;
        return frame;
    };
}

PushOutcome second_phase(const Journal& journal, const CoordinatorOptions& options, PushOutcome outcome) {
    const auto type = journal.decision == "commit" ? MessageType::commit : MessageType::abort;
    outcome.final_results = run_phase(std::string(transport::to_string(type)), journal.route, journal.nodes,
                                      phase_builder(type, journal.push_id, options.fanout.io_timeout_ms), options);
    outcome.decision = journal.decision;
    std::size_t done = 0;
    std::size_t down = 0;
    std::size_t failed = 0;
    for (const auto& [name, result] : outcome.final_results) {
        if (result.state == "committed" || result.state == "aborted") {
            ++done;
        } else if (result.state == "unreachable") {
            ++down;
        } else {
            ++failed;
        }
    }
    outcome.summary += fmt::format("{} version {} (push {}): {} of {} nodes {}", type == MessageType::commit ? "COMMITTED" : "ABORTED",
                                   journal.version, journal.push_id, done, journal.nodes.size(),
                                   type == MessageType::commit ? "committed" : "aborted");
    if (down > 0) outcome.summary += fmt::format(", {} down (they catch up from their parent when they start)", down);
    if (failed > 0) outcome.summary += fmt::format(", {} failed (see the table; `udn admin status` shows divergence)", failed);
    return outcome;
}

}  // namespace

bool should_commit(const std::vector<std::string>& nodes, const std::map<std::string, NodeResult>& results,
                   std::string& why_not) {
    std::size_t prepared = 0;
    for (const auto& node : nodes) {
        const auto it = results.find(node);
        const std::string state = it == results.end() ? "failed" : it->second.state;
        if (state == "prepared") {
            ++prepared;
        } else if (state != "unreachable") {
            why_not = fmt::format("{} {}{}{}", node, state, it == results.end() || it->second.reason.empty() ? "" : ": ",
                                  it == results.end() ? "" : it->second.reason);
            return false;
        }
    }
    if (prepared == 0) {
        why_not = "no node could be reached";
        return false;
    }
    return true;
}

PushOutcome run_push(const SignedConfig& config, const std::vector<RouteNode>& route,
                     const std::vector<std::string>& nodes, const CoordinatorOptions& options) {
    Journal journal{config.push_id, config.version, "", route, nodes};
    if (auto failure = write_journal(options.journal_path, journal)) {
        throw std::runtime_error("cannot write the push journal: " + *failure);
    }
    PushOutcome outcome;
    outcome.nodes = nodes;
    const int timeout_ms = options.fanout.io_timeout_ms;
    outcome.prepare_results = run_phase(
        "prepare", route, nodes,
        [&](const RouteNode& target) {
            auto frame = transport::encode(transport::PrepareRequest{target.name, config, target.children});
            frame.json["timeout_ms"] = timeout_ms;
            return frame;
        },
        options);
    std::string why_not;
    journal.decision = should_commit(nodes, outcome.prepare_results, why_not) ? "commit" : "abort";
    if (!why_not.empty()) outcome.summary = "not committed because " + why_not + ". ";
    // The decision is durable before anyone hears it: a restarted tool must say the same.
    if (auto failure = write_journal(options.journal_path, journal)) {
        throw std::runtime_error("cannot write the push journal: " + *failure);
    }
    if (options.prepare_only && journal.decision == "commit") {
        outcome.decision = "prepared";
        outcome.summary = fmt::format("PREPARED version {} (push {}) on every reachable node; nothing switched yet. "
                                      "Run `udn admin push --resume` to commit it.",
                                      config.version, config.push_id);
        return outcome;
    }
    outcome = second_phase(journal, options, std::move(outcome));
    remove_journal(options.journal_path);
    return outcome;
}

PushOutcome resume_push(const Journal& journal, const CoordinatorOptions& options) {
    Journal decided = journal;
    PushOutcome outcome;
    outcome.nodes = journal.nodes;
    if (decided.decision != "commit") {
        decided.decision = "abort";
        outcome.summary = "the previous push was stopped before it had decided, so it is aborted. ";
    } else {
        outcome.summary = "the previous push had decided to commit; finishing it. ";
    }
    outcome = second_phase(decided, options, std::move(outcome));
    remove_journal(options.journal_path);
    return outcome;
}

}  // namespace udn::configd::push
