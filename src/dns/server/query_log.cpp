#include "dns/server/query_log.hpp"

#include <chrono>

#include <fmt/format.h>

#include "common/runtime/spool.hpp"
#include "dns/wire/types.hpp"
#include "dns/zone/record.hpp"

namespace udn::dns::server {

std::string format_query_log_line(const QueryLogRecord& record, std::string_view server) {
    auto qname = record.qname.lowered().to_text();
    if (qname.size() > 1) qname.pop_back();
    const std::string_view pop(record.pop.data());
    return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", record.time_ms, server, record.client.to_string(),
                       record.transport == Transport::tcp ? "tcp" : "udp", qname, zone::type_to_text(record.qtype),
                       wire::rcode::name(record.rcode), record.has_answer ? record.answer.to_string() : "-",
                       pop.empty() ? "-" : pop,
                       record.has_client_subnet ? fmt::format("{}/{}/{}", record.client_subnet.to_string(),
                                                              record.source_prefix_length, record.scope_prefix_length)
                                                : "-");
}

QueryLog::QueryLog(std::size_t workers, std::string server, runtime::SpoolWriter& spool)
    : server_(std::move(server)), spool_(spool) {
    for (std::size_t i = 0; i < workers; ++i) rings_.push_back(std::make_unique<Ring>());
    batch_.reserve(ring_records);
}

QueryLog::~QueryLog() { stop(); }

void QueryLog::start() { thread_ = std::thread([this] { run(); }); }

void QueryLog::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void QueryLog::add(std::size_t worker, const QueryLogRecord& record) {
    if (worker >= rings_.size()) return;
    auto& ring = *rings_[worker];
    std::lock_guard lock(ring.mutex);
    if (ring.count == ring_records) {
        ring.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ring.records[(ring.head + ring.count) % ring_records] = record;
    ++ring.count;
}

std::uint64_t QueryLog::dropped() const {
    std::uint64_t total = 0;
    for (const auto& ring : rings_) total += ring->dropped.load(std::memory_order_relaxed);
    return total;
}

void QueryLog::drain() {
    for (auto& ring_pointer : rings_) {
        auto& ring = *ring_pointer;
        batch_.clear();
        {
            std::lock_guard lock(ring.mutex);
            for (; ring.count > 0; --ring.count) {
                batch_.push_back(ring.records[ring.head]);
                ring.head = (ring.head + 1) % ring_records;
            }
        }
        for (const auto& record : batch_) spool_.append(format_query_log_line(record, server_));
        written_.fetch_add(batch_.size(), std::memory_order_relaxed);
    }
}

void QueryLog::run() {
    while (!stopping_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        drain();
    }
    drain();
}

}  // namespace udn::dns::server
