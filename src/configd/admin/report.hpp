// What the operator sees: a progress bar per phase (nodes answered / total) and the final
// per-node table (version, state, reason); or the same as JSON for scripts.
#pragma once
#include <cstdio>
#include <string>

#include "configd/push/coordinator.hpp"
#include "configd/transport/messages.hpp"

namespace udn::configd::admin {

// Redraws in place on a terminal; on a pipe prints one line per phase when it completes.
class ProgressBar {
public:
    explicit ProgressBar(std::FILE* out);
    void update(const push::PhaseProgress& progress);

private:
    std::FILE* out_;
    bool terminal_;
    std::string phase_;
};

void print_push_table(std::FILE* out, const push::PushOutcome& outcome);
std::string push_outcome_json(const push::PushOutcome& outcome);

}  // namespace udn::configd::admin
