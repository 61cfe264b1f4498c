#include "dns/server/query_log.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/runtime/spool.hpp"
#include "common/runtime/thread_name.hpp"
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

// "0." … "255.": inet_ntop formats IPv4 through sprintf, and even digit arithmetic per octet
// showed in profiles at 200k lines/s; a table copy is four bytes per octet.
struct OctetText {
    std::array<char, 4> text;  // the digits and a '.'
    std::uint8_t size;         // with the '.'
};

constexpr std::array<OctetText, 256> octet_table() {
    std::array<OctetText, 256> table{};
    for (unsigned octet = 0; octet < 256; ++octet) {
        auto& entry = table[octet];
        std::uint8_t n = 0;
        if (octet >= 100) entry.text[n++] = static_cast<char>('0' + octet / 100);
        if (octet >= 10) entry.text[n++] = static_cast<char>('0' + octet / 10 % 10);
        entry.text[n++] = static_cast<char>('0' + octet % 10);
        entry.text[n++] = '.';
        entry.size = n;
    }
    return table;
}

constexpr auto octet_texts = octet_table();

char* write_address(char* out, const net::IpAddress& address) {
    if (!address.is_v4()) {
        const auto text = address.to_string();  // IPv6: rare enough for the general path
        const auto size = std::min(text.size(), max_address_text_bytes - 8);
        std::memcpy(out, text.data(), size);
        return out + size;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& octet = octet_texts[address.bytes()[i]];
        std::memcpy(out, octet.text.data(), 4);  // the buffer always has room for the 4 bytes
        out += octet.size;
    }
    return out - 1;  // the last '.'
}

char* write_text(char* out, std::string_view text) {
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

template <typename Integer>
char* write_integer(char* out, Integer value) {
    return std::to_chars(out, out + 24, value).ptr;
}

// The names of the types asked most, without building a std::string per line.
char* write_type(char* out, std::uint16_t type) {
    switch (type) {
        case wire::rr_type::a:
            return write_text(out, "A");
        case wire::rr_type::aaaa:
            return write_text(out, "AAAA");
        default:
            return write_text(out, zone::type_to_text(type));  // "TYPE65535" at most
    }
}

// Everything after the server name, from the tab that follows it.
char* write_after_server(char* p, const QueryLogRecord& record) {
    *p++ = '\t';
    p = write_address(p, record.client);
    p = write_text(p, record.transport == Transport::tcp ? "\ttcp\t" : "\tudp\t");
    p = record.qname.write_lowered_text(p);
    *p++ = '\t';
    p = write_type(p, record.qtype);
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
    return p;
}

// "<time_ms>\t<server>", the part of a line that depends only on the time.
void set_prefix(std::string& prefix, std::int64_t time_ms, std::string_view server) {
    char digits[24];
    prefix.assign(digits, write_integer(digits, time_ms));
    prefix += '\t';
    prefix += server;
}

// The whole line into `out`, which has room for line_bytes_at_most(prefix): this runs ~200k
// times a second on the log writer thread, which shares the serving core in the benchmark
// (docs/dns-performance.md).
std::size_t line_bytes_at_most(std::string_view prefix) {
    return prefix.size() + max_line_bytes_without_server + 1;
}

char* write_line(char* out, std::string_view prefix, const QueryLogRecord& record) {
    char* p = write_text(out, prefix);
    p = write_after_server(p, record);
    *p++ = '\n';
    return p;
}

}  // namespace

void append_query_log_line(std::string& out, const QueryLogRecord& record,
                           std::string_view server) {
    std::string prefix;
    set_prefix(prefix, record.time_ms, server);
    const auto start = out.size();
    out.resize(start + line_bytes_at_most(prefix));
    const char* const end = write_line(out.data() + start, prefix, record);
    out.resize(static_cast<std::size_t>(end - out.data()) - 1);  // without the newline
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

void QueryLog::start() {
    thread_ = std::thread([this] {
        runtime::name_this_thread("udn-dns-qlog");
        run();
    });
}

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

QueryLogRecord* QueryLog::reserve(std::size_t worker) {
    if (worker >= rings_.size()) return nullptr;
    auto& ring = *rings_[worker];
    const auto tail = ring.tail.load(std::memory_order_relaxed);
    if (tail - ring.head.load(std::memory_order_acquire) == ring_records) {
        ring.dropped.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    return &ring.records[tail % ring_records];
}

void QueryLog::commit(std::size_t worker) {
    auto& ring = *rings_[worker];
    ring.tail.store(ring.tail.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

std::uint64_t QueryLog::dropped() const {
    std::uint64_t total = failed_.load(std::memory_order_relaxed);
    for (const auto& ring : rings_) total += ring->dropped.load(std::memory_order_relaxed);
    return total;
}

void QueryLog::drain() {
    std::lock_guard lock(drain_mutex_);
    std::size_t text_bytes = 0;
    std::uint64_t lines = 0;
    for (auto& ring_pointer : rings_) {
        auto& ring = *ring_pointer;
        const auto head = ring.head.load(std::memory_order_relaxed);
        const auto tail = ring.tail.load(std::memory_order_acquire);
        for (auto at = head; at != tail; ++at) {
            const auto& record = ring.records[at % ring_records];
            if (record.time_ms != prefix_time_ms_) {
                set_prefix(prefix_, record.time_ms, server_);
                prefix_time_ms_ = record.time_ms;
            }
            const auto room = line_bytes_at_most(prefix_);
            if (text_capacity_ - text_bytes < room) {
                const auto capacity =
                    std::max({text_capacity_ * 2, text_bytes + room, std::size_t{64} << 10});
                auto grown = std::make_unique_for_overwrite<char[]>(capacity);
                if (text_bytes != 0) std::memcpy(grown.get(), text_.get(), text_bytes);
                text_ = std::move(grown);
                text_capacity_ = capacity;
            }
            text_bytes = static_cast<std::size_t>(
                write_line(text_.get() + text_bytes, prefix_, record) - text_.get());
        }
        ring.head.store(tail, std::memory_order_release);  // the slots are free once formatted
        lines += tail - head;
    }
    if (lines == 0) return;
    try {
        spool_.append_lines({text_.get(), text_bytes});
        written_.fetch_add(lines, std::memory_order_relaxed);
        failing_ = false;
    } catch (const std::exception& error) {
        failed_.fetch_add(lines, std::memory_order_relaxed);
        if (!failing_)
            spdlog::error("dns: query log: {} (lines are dropped and counted until it works again)",
                          error.what());
        failing_ = true;
    }
    // A burst can leave a large buffer behind; do not keep it for ever.
    if (text_capacity_ > (std::size_t{4} << 20)) {
        text_.reset();
        text_capacity_ = 0;
    }
}

void QueryLog::run() {
    // SCHED_BATCH: the same share of the CPU as a normal thread (nice 0), but its wake-up every
    // drain_interval does not preempt a serving worker on the same core. As SCHED_OTHER it did,
    // and the worker then waited for the whole drain (~1,000 lines at 200k queries/s, a few
    // hundred µs) every 5 ms; the queries that arrived meanwhile made the sampled p99 with the log
    // on ~0.3 ms worse than with it off (docs/dns-performance.md, session 7). Not nice 19: on a
    // saturated core it would get less than the ~4 % the log needs and lines would be dropped.
    // A failure leaves the thread as it was (unprivileged processes may set SCHED_BATCH).
    const sched_param parameters{};
    if (::sched_setscheduler(0, SCHED_BATCH, &parameters) != 0) {
        spdlog::debug("dns: query log: SCHED_BATCH not set: {}", std::strerror(errno));
    }
    while (!stopping_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(drain_interval);
        drain();
    }
}

}  // namespace udn::dns::server
