// What the probes told us about each candidate server: per reporting POP, whether the service
// check passed, its packet loss and round-trip time (the probe-to-server latency), and the
// server's own load. Readers see an immutable ObservationView (one atomic load per query);
// the ingest thread updates an ObservationStore and publishes new views.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/snapshot.hpp"

namespace udn::dns::gslb {

struct ProbeSample {
    std::string pop;  // the POP whose probe measured it
    bool up = true;
    double loss = 0;     // 0..1, probe to server
    double rtt_ms = 0;   // probe to server
    std::int64_t measured_at_ms = 0;
    // Checks the loss covers; 0: the sender (report version 1) measured none and `loss` is the
    // old estimate from this one check (1 if it timed out, else 0).
    std::uint16_t loss_checks = 0;
    // False for a check that timed out: its time is the timeout, not a round trip, so the
    // store keeps the previous sample's rtt_ms (the loss counts the timeout instead).
    bool rtt_measured = true;
    std::string probe;  // the probe server: several in one POP are several viewpoints, not one
};

struct TargetObservation {
    std::vector<ProbeSample> samples;  // the latest per reporting probe server
    bool has_load = false;
    double load = 0;  // 0..1: the worst of CPU, memory, traffic, response time, normalised
    std::int64_t load_measured_at_ms = 0;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

struct ObservationView {
    std::unordered_map<std::string, TargetObservation, StringHash, std::equal_to<>> targets;

    const TargetObservation* find(std::string_view key) const {
        const auto it = targets.find(key);
        return it == targets.end() ? nullptr : &it->second;
    }
};

class ObservationStore {
public:
    ObservationStore() : published_(std::make_shared<const ObservationView>()) {}

    void record_check(const std::string& target, const ProbeSample& sample);
    void record_load(const std::string& target, double load, std::int64_t measured_at_ms);
    // Makes the updates so far visible to readers (the ingest thread calls it after a batch);
    // without updates since the last publish, readers keep the view they have (and whatever
    // they derived from it).
    void publish();

    const Snapshot<ObservationView>& snapshot() const { return published_; }

private:
    std::mutex mutex_;
    ObservationView working_;
    bool changed_ = false;
    Snapshot<ObservationView> published_;
};

}  // namespace udn::dns::gslb
