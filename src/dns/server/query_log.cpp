#include "dns/server/query_log.hpp"

#include <arpa/inet.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "common/runtime/spool.hpp"
#include "common/runtime/thread_name.hpp"
#include "dns/wire/types.hpp"

namespace udn::dns::server {

namespace {

// Longest IPv6 text (with an embedded IPv4 tail) plus "/128/128".
constexpr std::size_t max_address_text_bytes = 64;
// A POP's name as the line carries it at most (configured names are far shorter).
constexpr std::size_t max_pop_text_bytes = 64;
// A time in ms since the epoch: an int64 with its sign.
constexpr std::size_t max_time_text_bytes = 20;
// A line without its time and server name: client, transport, name, type, rcode, answer, POP and
// client subnet with their tabs.
constexpr std::size_t max_line_bytes_without_server =
    3 * max_address_text_bytes + 8 + wire::Name::max_text_bytes + 16 + 16 + max_pop_text_bytes + 16;

// "0." … "255.": inet_ntop formats IPv4 through sprintf, and even digit arithmetic per octet
// showed in profiles at 200k lines/s; a table copy is four bytes per octet.
struct alignas(8) OctetText {  // one load each
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

char* write_text(char* out, std::string_view text) {
    std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

char* write_address(char* out, const net::IpAddress& address) {
    if (!address.is_v4()) {
        // IPv6: inet_ntop into the line itself (no std::string: this runs on the worker).
        // INET6_ADDRSTRLEN (46) fits in max_address_text_bytes.
        if (::inet_ntop(AF_INET6, address.bytes().data(), out, INET6_ADDRSTRLEN) == nullptr)
            return write_text(out, "?");
        return out + std::strlen(out);
    }
    // The octets in a local first (read through the address, they were reloaded after every
    // store into the line, which may alias them), and the four steps written out: the loop was
    // half of this function's instructions.
    std::array<std::uint8_t, 4> octets;
    std::memcpy(octets.data(), address.bytes().data(), octets.size());
    const auto put = [&out](std::uint8_t value) {
        const auto& octet = octet_texts[value];
        std::memcpy(out, octet.text.data(), 4);  // the buffer always has room for the 4 bytes
        out += octet.size;
    };
    put(octets[0]);
    put(octets[1]);
    put(octets[2]);
    put(octets[3]);
    return out - 1;  // the last '.'
}

template <typename Integer>
char* write_integer(char* out, Integer value) {
    return std::to_chars(out, out + 24, value).ptr;
}

// The type's mnemonic, else RFC 3597's "TYPE<n>" ("TYPE65535" at most). A and AAAA first: they
// are nearly every query, and wire::rr_type::mnemonic searches its table in order.
char* write_type(char* out, std::uint16_t type) {
    if (type == wire::rr_type::a) return write_text(out, "A");
    if (type == wire::rr_type::aaaa) return write_text(out, "AAAA");
    const auto mnemonic = wire::rr_type::mnemonic(type);
    if (!mnemonic.empty()) return write_text(out, mnemonic);
    return write_integer(write_text(out, "TYPE"), type);
}

// Everything after the server name, from the tab that follows it.
char* write_after_server(char* p, const QueryLogEntry& entry) {
    *p++ = '\t';
    p = write_address(p, entry.client);
    p = write_text(p, entry.transport == Transport::tcp ? "\ttcp\t" : "\tudp\t");
    p = entry.qname_text.empty() ? entry.qname->write_lowered_text(p)
                                 : write_text(p, entry.qname_text);
    *p++ = '\t';
    p = write_type(p, entry.qtype);
    *p++ = '\t';
    p = write_text(p, wire::rcode::name(entry.rcode));
    *p++ = '\t';
    if (entry.answer != nullptr) {
        p = write_address(p, *entry.answer);
    } else {
        *p++ = '-';
    }
    *p++ = '\t';
    p = entry.pop.empty() ? write_text(p, "-")
                          : write_text(p, entry.pop.substr(0, max_pop_text_bytes));
    *p++ = '\t';
    if (entry.client_subnet != nullptr) {
        p = write_address(p, *entry.client_subnet);
        *p++ = '/';
        p = write_integer(p, entry.source_prefix_length);
        *p++ = '/';
        p = write_integer(p, entry.scope_prefix_length);
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

// The most a line can take with this server name (and its newline), the room a worker needs in its
// ring before it writes one.
std::size_t line_bytes_at_most(std::string_view server) {
    return max_time_text_bytes + 1 + server.size() + max_line_bytes_without_server + 1;
}

char* write_line(char* out, std::string_view prefix, const QueryLogEntry& entry) {
    char* p = write_text(out, prefix);
    p = write_after_server(p, entry);
    *p++ = '\n';
    return p;
}

// A ring's position: the bytes written so far (low 40 bits) and the lines they hold (high 24
// bits), each modulo its width. One atomic word, so the writer reads a byte count and its line
// count together; counting the newlines instead cost ~40 instructions per line. Neither wraps
// within a drain: a ring holds 2 MiB, and 2^40 is a multiple of its size, so the low bits give
// the offset in the ring too.
struct RingPosition {
    static constexpr unsigned byte_bits = 40;
    static constexpr std::uint64_t byte_mask = (std::uint64_t{1} << byte_bits) - 1;
    static constexpr std::uint64_t line_mask = (std::uint64_t{1} << (64 - byte_bits)) - 1;

    static std::uint64_t bytes(std::uint64_t position) { return position & byte_mask; }
    static std::uint64_t lines(std::uint64_t position) { return position >> byte_bits; }
    static std::uint64_t bytes_between(std::uint64_t from, std::uint64_t to) {
        return (to - from) & byte_mask;
    }
    static std::uint64_t lines_between(std::uint64_t from, std::uint64_t to) {
        return (lines(to) - lines(from)) & line_mask;
    }
    // `position` after one more line of `size` bytes.
    static std::uint64_t after_line(std::uint64_t position, std::uint64_t size) {
        return ((position + size) & byte_mask) | (((lines(position) + 1) & line_mask) << byte_bits);
    }
};
static_assert(std::has_single_bit(QueryLog::ring_bytes) &&
                  QueryLog::ring_bytes <= RingPosition::byte_mask,
              "a ring's offset must be the low bits of its position");
static_assert(QueryLog::ring_bytes / 16 < RingPosition::line_mask,
              "a ring's lines must be countable in a position");

}  // namespace

std::string format_query_log_line(const QueryLogEntry& entry, std::string_view server) {
    std::string prefix;
    set_prefix(prefix, entry.time_ms, server);
    std::string line(line_bytes_at_most(server), '\0');
    const char* const end = write_line(line.data(), prefix, entry);
    line.resize(static_cast<std::size_t>(end - line.data()) - 1);  // without the newline
    return line;
}

QueryLog::QueryLog(std::size_t workers, std::string server, runtime::SpoolWriter& spool)
    : server_(std::move(server)), spool_(spool), line_bytes_at_most_(line_bytes_at_most(server_)) {
    for (std::size_t i = 0; i < workers; ++i) {
        rings_.push_back(std::make_unique<Ring>());
        // Room for the longest prefix, so that even a worker's first line allocates nothing.
        rings_.back()->prefix.reserve(max_time_text_bytes + 1 + server_.size());
        // The ring's offsets are masked: its size must be exactly ring_bytes (page-rounding of a
        // power of two that is already a multiple of any page size leaves it as it is).
        if (rings_.back()->text.size() != ring_bytes)
            throw std::logic_error("query log: ring size is not ring_bytes");
    }
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

void QueryLog::add(std::size_t worker, const QueryLogEntry& entry) {
    if (worker >= rings_.size()) return;
    auto& ring = *rings_[worker];
    const auto tail = ring.tail.load(std::memory_order_relaxed);
    if (ring_bytes - RingPosition::bytes_between(ring.head.load(std::memory_order_acquire), tail) <
        line_bytes_at_most_) {
        ring.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (entry.time_ms != ring.prefix_time_ms) {
        set_prefix(ring.prefix, entry.time_ms, server_);
        ring.prefix_time_ms = entry.time_ms;
    }
    // The mirror behind the ring's end takes whatever part of the line crosses it.
    char* const start = ring.text.data() + (RingPosition::bytes(tail) & (ring_bytes - 1));
    const char* const end = write_line(start, ring.prefix, entry);
    ring.tail.store(RingPosition::after_line(tail, static_cast<std::uint64_t>(end - start)),
                    std::memory_order_release);
}

std::uint64_t QueryLog::dropped() const {
    std::uint64_t total = failed_.load(std::memory_order_relaxed);
    for (const auto& ring : rings_) total += ring->dropped.load(std::memory_order_relaxed);
    return total;
}

void QueryLog::drain() {
    std::lock_guard lock(drain_mutex_);
    for (auto& ring_pointer : rings_) {
        auto& ring = *ring_pointer;
        const auto head = ring.head.load(std::memory_order_relaxed);
        const auto tail = ring.tail.load(std::memory_order_acquire);
        if (head == tail) continue;
        // Whole lines, in one piece thanks to the mirror, however the ring's end cuts them.
        const std::string_view text(
            ring.text.data() + (RingPosition::bytes(head) & (ring_bytes - 1)),
            RingPosition::bytes_between(head, tail));
        const auto lines = RingPosition::lines_between(head, tail);
        std::uint64_t taken = lines;
        std::string failure;
        try {
            spool_.append_lines(text);
        } catch (const runtime::SpoolError& error) {
            // Lines the spool took before it failed are written, not lost (the text is counted
            // only here, when writing fails).
            const auto appended = std::min<std::size_t>(error.appended_bytes(), text.size());
            taken = static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<long>(appended), '\n'));
            failure = error.what();
        } catch (const std::exception& error) {
            taken = 0;
            failure = error.what();
        }
        written_.fetch_add(taken, std::memory_order_relaxed);
        if (taken != lines) failed_.fetch_add(lines - taken, std::memory_order_relaxed);
        if (!failure.empty() && !failing_) {
            spdlog::error("dns: query log: {} (lines are dropped and counted until it works again)", failure);
        }
        failing_ = !failure.empty();
        // The bytes are free once shipped (or given up).
        ring.head.store(tail, std::memory_order_release);
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
