// Counts every query in the role's metrics registry (by transport and rcode, per GSLB name, per
// answer address and its POP) and hands it to the query log. Metric references are looked up
// on the control path (start, reload) so the hot path only bumps sharded atomic counters.
#pragma once
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/snapshot.hpp"
#include "dns/server/query_log.hpp"
#include "dns/server/query_sink.hpp"
#include "dns/server/serving_state.hpp"

namespace udn::runtime {
class Counter;
class Registry;
}  // namespace udn::runtime

namespace udn::dns::server {

class CountingSink : public QuerySink {
public:
    // `log` may be null (query log off).
    CountingSink(std::size_t workers, runtime::Registry& registry, QueryLog* log);

    // Called at start and after each configuration swap.
    void rebuild(std::shared_ptr<const ServingState> serving);

    void on_query(std::size_t worker, const QueryInfo& info, const net::IpAddress& client,
                  Transport transport, std::int64_t now_ms) override;

private:
    static constexpr std::size_t rcode_slots = 24;
    struct Answer {
        const net::IpAddress* address;
        runtime::Counter* count;
        std::string_view pop;  // into the candidate, for the query log
    };
    struct DomainSlots {
        runtime::Counter* queries = nullptr;
        std::vector<Answer> answers;
    };
    struct Index {
        std::shared_ptr<const ServingState> serving;  // keeps the compared addresses alive
        std::vector<DomainSlots> domains;
    };
    struct alignas(64) WorkerState {
        explicit WorkerState(const Snapshot<Index>& index) : reader(index) {}
        SnapshotReader<Index> reader;
    };

    runtime::Registry& registry_;
    QueryLog* log_;
    std::array<std::array<runtime::Counter*, rcode_slots>, 2> by_transport_rcode_{};
    runtime::Counter* truncated_ = nullptr;
    std::mutex rebuild_mutex_;
    Snapshot<Index> index_;
    std::vector<std::unique_ptr<WorkerState>> workers_;
};

}  // namespace udn::dns::server
