#include "dns/server/query_log.hpp"

#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/runtime/spool.hpp"
#include "dns/wire/types.hpp"
#include "dns/zone/record.hpp"

namespace udn::dns::server {

namespace {

// inet_ntop formats IPv4 through sprintf, which showed in profiles at 150k lines/s.
void append_address(std::string& out, const net::IpAddress& address) {
    if (!address.is_v4()) {
        out += address.to_string();
        return;
    }
    char text[16];
    std::size_t size = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const unsigned octet = address.bytes()[i];
        if (octet >= 100) text[size++] = static_cast<char>('0' + octet / 100);
        if (octet >= 10) text[size++] = static_cast<char>('0' + octet / 10 % 10);
        text[size++] = static_cast<char>('0' + octet % 10);
        text[size++] = '.';
    }
    out.append(text, size - 1);
}

}  // namespace

void append_query_log_line(std::string& out, const QueryLogRecord& record, std::string_view server) {
    const auto tab = [&out] { out += '\t'; };
    fmt::format_to(std::back_inserter(out), "{}", record.time_ms);
    tab();
    out += server;
    tab();
    append_address(out, record.client);
    out += record.transport == Transport::tcp ? "\ttcp\t" : "\tudp\t";
    const auto before_name = out.size();
    record.qname.lowered().append_text(out);
    if (out.size() - before_name > 1) out.pop_back();  // no trailing dot, except for the root
    tab();
    out += zone::type_to_text(record.qtype);
    tab();
    out += wire::rcode::name(record.rcode);
    tab();
    if (record.has_answer) {
        append_address(out, record.answer);
    } else {
        out += '-';
    }
    tab();
    const std::string_view pop(record.pop.data());
    out += pop.empty() ? "-" : pop;
    tab();
    if (record.has_client_subnet) {
        append_address(out, record.client_subnet);
        fmt::format_to(std::back_inserter(out), "/{}/{}", record.source_prefix_length, record.scope_prefix_length);
    } else {
        out += '-';
    }
}

std::string format_query_log_line(const QueryLogRecord& record, std::string_view server) {
    std::string line;
    append_query_log_line(line, record, server);
    return line;
}

QueryLog::QueryLog(std::size_t workers, std::string server, runtime::SpoolWriter& spool)
    : server_(std::move(server)), spool_(spool) {
    for (std::size_t i = 0; i < workers; ++i) rings_.push_back(std::make_unique<Ring>());
}

QueryLog::~QueryLog() { stop(); }

void QueryLog::start() { thread_ = std::thread([this] { run(); }); }

void QueryLog::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    drain();
}

void QueryLog::add(std::size_t worker, const QueryLogRecord& record) {
    if (worker >= rings_.size()) return;
    auto& ring = *rings_[worker];
    const auto tail = ring.tail.load(std::memory_order_relaxed);
    if (tail - ring.head.load(std::memory_order_acquire) == ring_records) {
        ring.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ring.records[tail % ring_records] = record;
    ring.tail.store(tail + 1, std::memory_order_release);
}

std::uint64_t QueryLog::dropped() const {
    std::uint64_t total = failed_.load(std::memory_order_relaxed);
    for (const auto& ring : rings_) total += ring->dropped.load(std::memory_order_relaxed);
    return total;
}

void QueryLog::drain() {
    std::lock_guard lock(drain_mutex_);
    text_.clear();
    std::uint64_t lines = 0;
    for (auto& ring_pointer : rings_) {
        auto& ring = *ring_pointer;
        const auto head = ring.head.load(std::memory_order_relaxed);
        const auto tail = ring.tail.load(std::memory_order_acquire);
        for (auto at = head; at != tail; ++at) {
            append_query_log_line(text_, ring.records[at % ring_records], server_);
            text_ += '\n';
        }
        ring.head.store(tail, std::memory_order_release);  // the slots are free once formatted
        lines += tail - head;
    }
    if (lines == 0) return;
    try {
        spool_.append_lines(text_);
        written_.fetch_add(lines, std::memory_order_relaxed);
        failing_ = false;
    } catch (const std::exception& error) {
        failed_.fetch_add(lines, std::memory_order_relaxed);
        if (!failing_) spdlog::error("dns: query log: {} (lines are dropped and counted until it works again)", error.what());
        failing_ = true;
    }
    // A burst can leave a large buffer behind; do not keep it for ever.
    if (text_.capacity() > (std::size_t{4} << 20)) std::string().swap(text_);
}

void QueryLog::run() {
    while (!stopping_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(drain_interval);
        drain();
    }
}

}  // namespace udn::dns::server
