// Counts every query (by transport and rcode, per GSLB name, per answer address and its POP)
// with per-worker counters that are only summed when read, and renders them in Prometheus text.
// Counters of a name survive reloads; the hot path never locks or allocates.
#pragma once
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/config/snapshot.hpp"
#include "dns/server/query_sink.hpp"
#include "dns/server/serving_state.hpp"

namespace udn::dns::server {

class CountingSink : public QuerySink {
public:
    explicit CountingSink(std::size_t workers);

    // Called at start and after each configuration swap, before workers see the new snapshot.
    void rebuild(std::shared_ptr<const ServingState> serving);

    void on_query(std::size_t worker, const QueryInfo& info, const net::IpAddress& client, Transport transport,
                  std::int64_t now_ms) override;

    std::string render_prometheus() const;
    std::uint64_t total_queries() const;

private:
    static constexpr std::size_t rcode_slots = 24;
    using Count = std::atomic<std::uint64_t>;
    struct AnswerKey {
        std::string name, address, pop;
        auto operator<=>(const AnswerKey&) const = default;
    };
    struct DomainSlots {
        Count* queries = nullptr;
        std::vector<std::pair<const net::IpAddress*, Count*>> answers;
    };
    struct Index {
        std::shared_ptr<const ServingState> serving;  // keeps the addresses compared against alive
        std::vector<DomainSlots> domains;
    };
    struct alignas(64) WorkerCounters {
        explicit WorkerCounters(const Snapshot<Index>& index) : reader(index) {}
        std::array<std::array<Count, rcode_slots>, 2> by_transport_rcode{};
        Count truncated{0};
        SnapshotReader<Index> reader;
    };

    mutable std::mutex mutex_;  // guards the maps' structure (control path only)
    std::map<std::string, std::unique_ptr<Count>> name_queries_;
    std::map<AnswerKey, std::unique_ptr<Count>> answers_;
    Snapshot<Index> index_;
    std::vector<std::unique_ptr<WorkerCounters>> workers_;
};

}  // namespace udn::dns::server
