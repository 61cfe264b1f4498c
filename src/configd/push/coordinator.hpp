// The admin tool's side of the two-phase push: PREPARE down the tree, decide, journal the
// decision, COMMIT or ABORT down the tree; and recovery of a push whose tool was stopped
// between the phases (journal.hpp). Decision rule (docs/configd.md): commit only if every node
// on the route is either prepared or unreachable (down: it catches up when it starts), and at
// least one node prepared; any rejection or failure aborts everywhere.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "configd/push/fanout.hpp"
#include "configd/push/journal.hpp"
#include "configd/signing/envelope.hpp"

namespace udn::configd::push {

struct PhaseProgress {
    std::string phase;  // "prepare", "commit", "abort"
    std::size_t answered = 0;
    std::size_t total = 0;
};

struct CoordinatorOptions {
    FanoutOptions fanout;
    std::filesystem::path journal_path;
    bool prepare_only = false;  // stop after a successful PREPARE, decision "commit" journaled
    std::function<void(const PhaseProgress&)> on_progress;
};

struct PushOutcome {
    std::string decision;  // "commit", "abort", or "prepared" (prepare_only)
    std::map<std::string, transport::NodeResult> prepare_results;
    std::map<std::string, transport::NodeResult> final_results;  // from the second phase
    std::vector<std::string> nodes;  // route order
    std::string summary;             // one sentence for the operator
};

PushOutcome run_push(const SignedConfig& config, const std::vector<transport::RouteNode>& route,
                     const std::vector<std::string>& nodes, const CoordinatorOptions& options);

// Finishes the push recorded in the journal: commit if decided, abort otherwise.
PushOutcome resume_push(const Journal& journal, const CoordinatorOptions& options);

// The decision rule above, on the results of the PREPARE phase.
bool should_commit(const std::vector<std::string>& nodes, const std::map<std::string, transport::NodeResult>& results,
                   std::string& why_not);

}  // namespace udn::configd::push
