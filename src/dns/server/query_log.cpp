#include "dns/server/query_log.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/runtime/spool.hpp"
#include "dns/wire/types.hpp"
#include "dns/zone/record.hpp"

namespace udn::dns::server {

namespace {

// Longest IPv6 text (with an embedded IPv4 tail) plus "/128/128".
constexpr std::size_t max_address_text_bytes = 64;
// A line without the server name: time, client, transport, name, type, rcode, answer, POP and
// client subnet with their tabs.
constexpr std::size_t max_line_bytes_without_server =
    24 + 3 * max_address_text_bytes + 8 + wire::Name::max_text_bytes + 16 + 16 + 40 + 16;

// inet_ntop formats IPv4 through sprintf, which showed in profiles at 150k lines/s.
char* write_address(char* out, const net::IpAddress& address) {
    if (!address.is_v4()) {
        const auto text = address.to_string();  // IPv6: rare enough for the general path
        const auto size = std::min(text.size(), max_address_text_bytes - 8);
        std::memcpy(out, text.data(), size);
        return out + size;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        const unsigned octet = address.bytes()[i];
        if (octet >= 100) *out++ = static_cast<char>('0' + octet / 100);
        if (octet >= 10) *out++ = static_cast<char>('0' + octet / 10 % 10);
        *out++ = static_cast<char>('0' + octet % 10);
        *out++ = '.';
    }
    return out - 1;
}

char* write_text(char* out, std::string_view text) {
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

template <typename Integer>
char* write_integer(char* out, Integer value) {
    return std::to_chars(out, out + 24, value).ptr;
}

}  // namespace

// Written into a stack buffer and appended once: this runs ~200k times a second on the log
// writer thread, which shares the serving core in the benchmark (docs/dns-performance.md).
void append_query_log_line(std::string& out, const QueryLogRecord& record, std::string_view server) {
    char line[max_line_bytes_without_server];
    char* p = write_integer(line, record.time_ms);
    *p++ = '\t';
    out.append(line, p);
    out += server;
    p = line;
    *p++ = '\t';
    p = write_address(p, record.client);
    p = write_text(p, record.transport == Transport::tcp ? "\ttcp\t" : "\tudp\t");
    p = record.qname.write_lowered_text(p);
    *p++ = '\t';
    p = write_text(p, zone::type_to_text(record.qtype));
    *p++ = '\t';
    p = write_text(p, wire::rcode::name(record.rcode));
    *p++ = '\t';
    if (record.has_answer) {
        p = write_address(p, record.answer);
    } else {
        *p++ = '-';
    }
    *p++ = '\t';
    const std::string_view pop(record.pop.data(), ::strnlen(record.pop.data(), record.pop.size()));
    p = pop.empty() ? write_text(p, "-") : write_text(p, pop);
    *p++ = '\t';
    if (record.has_client_subnet) {
        p = write_address(p, record.client_subnet);
        *p++ = '/';
        p = write_integer(p, record.source_prefix_length);
        *p++ = '/';
        p = write_integer(p, record.scope_prefix_length);
    } else {
        *p++ = '-';
    }
    out.append(line, p);
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
