#include "dns/gslb/observations.hpp"

#include <algorithm>

namespace udn::dns::gslb {

void ObservationStore::record_check(const std::string& target, const ProbeSample& sample) {
    std::lock_guard lock(mutex_);
    changed_ = true;
    auto& samples = working_.targets[target].samples;
    const auto it = std::find_if(samples.begin(), samples.end(), [&](const auto& s) { return s.probe == sample.probe && s.pop == sample.pop; });
    if (it == samples.end()) {
        samples.push_back(sample);
    } else if (sample.measured_at_ms >= it->measured_at_ms) {
        const auto previous = *it;
        *it = sample;
        if (!sample.rtt_measured) {
            it->rtt_ms = previous.rtt_ms;
            it->rtt_measured = previous.rtt_measured;
        }
    }
}

void ObservationStore::record_load(const std::string& target, double load, std::int64_t measured_at_ms) {
    std::lock_guard lock(mutex_);
    auto& observation = working_.targets[target];
    changed_ = true;
    if (observation.has_load && measured_at_ms < observation.load_measured_at_ms) return;
    observation.has_load = true;
    observation.load = std::clamp(load, 0.0, 1.0);
    observation.load_measured_at_ms = measured_at_ms;
}

void ObservationStore::publish() {
    std::lock_guard lock(mutex_);
    if (!changed_) return;
    changed_ = false;
    published_.replace(std::make_shared<const ObservationView>(working_));
}

}  // namespace udn::dns::gslb
