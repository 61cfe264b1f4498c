#include "configd/admin/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>

namespace udn::configd::admin {

namespace {

constexpr std::size_t bar_width = 30;

std::string bar(std::size_t answered, std::size_t total) {
    const std::size_t filled = total == 0 ? bar_width : std::min(bar_width, answered * bar_width / total);
    return std::string(filled, '#') + std::string(bar_width - filled, '.');
}

// The result that best describes a node: the second phase's, else the first's.
const transport::NodeResult* final_result(const push::PushOutcome& outcome, const std::string& node) {
    if (auto it = outcome.final_results.find(node); it != outcome.final_results.end()) return &it->second;
    if (auto it = outcome.prepare_results.find(node); it != outcome.prepare_results.end()) return &it->second;
    return nullptr;
}

// What the operator needs to read: the second phase's word, or why the first phase failed.
std::string reason_for(const push::PushOutcome& outcome, const std::string& node) {
    const auto* result = final_result(outcome, node);
    if (result != nullptr && !result->reason.empty()) return result->reason;
    const auto prepared = outcome.prepare_results.find(node);
    if (prepared == outcome.prepare_results.end() || &prepared->second == result) return {};
    if (prepared->second.state != "prepared") {
        return "prepare " + prepared->second.state +
               (prepared->second.reason.empty() ? std::string{} : ": " + prepared->second.reason);
    }
    return prepared->second.reason;  // e.g. the transfer needed a retry
}

}  // namespace

ProgressBar::ProgressBar(std::FILE* out) : out_(out), terminal_(::isatty(::fileno(out)) == 1) {}

void ProgressBar::update(const push::PhaseProgress& progress) {
    const auto line = fmt::format("{:<8} [{}] {}/{} nodes", progress.phase, bar(progress.answered, progress.total),
                                  progress.answered, progress.total);
    if (terminal_) {
        std::fprintf(out_, "\r%s", line.c_str());
        if (progress.answered >= progress.total) std::fprintf(out_, "\n");
    } else if (progress.answered >= progress.total && progress.phase != phase_) {
        std::fprintf(out_, "%s\n", line.c_str());
        phase_ = progress.phase;
    }
    std::fflush(out_);
}

void print_push_table(std::FILE* out, const push::PushOutcome& outcome) {
    std::size_t width = 4;
    for (const auto& node : outcome.nodes) width = std::max(width, node.size());
    std::fprintf(out, "%s\n", fmt::format("{:<{}}  {:>7}  {:<12}  {}", "NODE", width, "VERSION", "STATE", "REASON").c_str());
    for (const auto& node : outcome.nodes) {
        const auto* result = final_result(outcome, node);
        const auto version = result && result->version != 0 ? std::to_string(result->version) : std::string{"-"};
        std::fprintf(out, "%s\n", fmt::format("{:<{}}  {:>7}  {:<12}  {}", node, width, version,
                                              result ? result->state : "unknown", reason_for(outcome, node))
                                      .c_str());
    }
    std::fprintf(out, "%s\n", outcome.summary.c_str());
}

std::string push_outcome_json(const push::PushOutcome& outcome) {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : outcome.nodes) {
        const auto* result = final_result(outcome, node);
        const auto prepared = outcome.prepare_results.find(node);
        nodes.push_back({{"node", node},
                         {"version", result ? result->version : 0},
                         {"state", result ? result->state : "unknown"},
                         {"reason", reason_for(outcome, node)},
                         {"prepare_state", prepared == outcome.prepare_results.end() ? "" : prepared->second.state}});
    }
    return nlohmann::json{{"decision", outcome.decision}, {"summary", outcome.summary}, {"nodes", nodes}}.dump(
               2, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
}

}  // namespace udn::configd::admin
