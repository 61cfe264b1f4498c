// Access-log spool writer; see access_log.hpp.
#include "cache/log/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <exception>

#include <spdlog/spdlog.h>

namespace udn::cache::log {

namespace {

// The line is written through a cursor into a buffer sized for the worst case beforehand: one
// bounds decision per line instead of a capacity check per character appended to a string
// (std::string::push_back and append cost ~1,000 of a hit's ~15,000 instructions).
class Cursor {
public:
    explicit Cursor(char* at) : at_(at) {}
    char* end() const { return at_; }
    void put(char c) { *at_++ = c; }
    void put(std::string_view text) {
        std::memcpy(at_, text.data(), text.size());
        at_ += text.size();
    }

    // Tabs and newlines inside fields would break the line format; they are replaced. Fields
    // are copied whole and checked eight bytes at a time for any byte below 0x20 (they almost
    // never hold one); only then are the three characters blanked one by one.
    void field(std::string_view text) {
        if (text.empty()) {
            put('-');
            return;
        }
        char* const start = at_;
        put(text);
        if (has_control(text)) {
            for (char* it = start; it != at_; ++it) {
                if (*it == '\t' || *it == '\n' || *it == '\r') *it = ' ';
            }
        }
    }

    void integer(std::uint64_t value) { at_ = std::to_chars(at_, at_ + 20, value).ptr; }

    // Milliseconds with three decimals, as "%.3f" would print them.
    void milliseconds(double ms) {
        const auto thousandths = static_cast<std::uint64_t>(std::llround(std::clamp(ms, 0.0, 1e15) * 1000.0));
        integer(thousandths / 1000);
        three_digits('.', static_cast<unsigned>(thousandths % 1000));
    }

    // `separator` and then `value` (below 1000) as three digits.
    void three_digits(char separator, unsigned value) {
        at_[0] = separator;
        at_[1] = static_cast<char>('0' + value / 100);
        at_[2] = static_cast<char>('0' + value / 10 % 10);
        at_[3] = static_cast<char>('0' + value % 10);
        at_ += 4;
    }

private:
    // Whether any byte is below 0x20 (the classic SWAR test: x - 0x20 borrows into the top bit
    // of exactly the bytes below 0x20 when the byte's own top bit is clear; bytes >= 0x80 are
    // masked out by ~x).
    static bool has_control(std::string_view text) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        std::size_t i = 0;
        for (; i + 8 <= text.size(); i += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, text.data() + i, 8);
            if (((word - 0x20 * ones) & ~word & highs) != 0) return true;
        }
        for (; i < text.size(); ++i) {
            if (static_cast<unsigned char>(text[i]) < 0x20) return true;
        }
        return false;
    }

    char* at_;
};

// "2026-11-23T23:05:00.123Z"; the part up to the seconds is formatted once per second per thread.
void put_time(Cursor& line, std::int64_t time_ms) {
    thread_local std::int64_t cached_second = -1;
    thread_local char cached_text[32] = {};
    thread_local std::size_t cached_length = 0;
    const std::int64_t second = time_ms / 1000;
    if (second != cached_second) {
        const std::time_t seconds = second;
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        cached_length = std::strftime(cached_text, sizeof cached_text, "%Y-%m-%dT%H:%M:%S", &utc);
        cached_second = second;
    }
    line.put(std::string_view(cached_text, cached_length));
    line.three_digits('.', static_cast<unsigned>(((time_ms % 1000) + 1000) % 1000));
    line.put('Z');
}

}  // namespace

AccessLog::AccessLog(std::filesystem::path directory, std::size_t max_bytes, std::uint32_t max_age_s,
                     std::size_t max_pending_bytes)
    : max_pending_bytes_(max_pending_bytes), spool_(runtime::SpoolOptions{std::move(directory), max_bytes, max_age_s}) {}

AccessLog::~AccessLog() { close(); }

void AccessLog::append(const AccessRecord& record) {
    // Built in a per-thread buffer and formatted by hand: this runs on every request, and
    // snprintf/strftime cost more than the rest of a cache hit's user-space work.
    constexpr std::size_t fixed_bytes = 160;  // time 24, 13 tabs, newline, 2 integers, 2 times: < 120
    const std::string_view fields[] = {record.pop,    record.client, record.host,   record.customer, record.method,
                                       record.url,    record.result, record.origin, record.scheme};
    std::size_t worst = fixed_bytes;
    for (const auto field : fields) worst += std::max<std::size_t>(field.size(), 1);
    thread_local std::string line;
    if (line.size() < worst) line.resize(std::max(worst, std::size_t{1024}));
    Cursor out(line.data());
    put_time(out, record.time_ms);
    for (const auto field : {record.pop, record.client, record.host, record.customer, record.method, record.url}) {
        out.put('\t');
        out.field(field);
    }
    out.put('\t');
    out.integer(static_cast<std::uint64_t>(std::max(record.status, 0)));
    out.put('\t');
    out.integer(record.bytes);
    out.put('\t');
    out.field(record.result);
    out.put('\t');
    out.milliseconds(record.first_byte_ms);
    out.put('\t');
    out.milliseconds(record.total_ms);
    out.put('\t');
    out.field(record.origin);
    out.put('\t');
    out.field(record.scheme);
    out.put('\n');
    const std::string_view text(line.data(), static_cast<std::size_t>(out.end() - line.data()));
    std::lock_guard lock(mutex_);
    if (pending_.size() + text.size() > max_pending_bytes_) {
        dropped_lines_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    pending_ += text;
}

void AccessLog::flush(std::int64_t now_s) {
    std::string lines;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
    }
    std::string why;
    bool appended = false;
    try {
        spool_.append_lines(lines);
        appended = true;
        spool_.tick();
    } catch (const runtime::SpoolError& error) {
        // The spool directory is unwritable (disk full, removed): keep serving; the lines of this
        // batch the spool did not take are lost and counted.
        const auto appended = std::min<std::size_t>(error.appended_bytes(), lines.size());
        dropped_lines_.fetch_add(static_cast<std::uint64_t>(std::count(lines.begin() + static_cast<long>(appended),
                                                                       lines.end(), '\n')),
                                 std::memory_order_relaxed);
        why = std::string("the spool cannot be written: ") + error.what();
    } catch (const std::exception& error) {
        // From tick() closing an old file, its lines stay in `current` and are published later;
        // from anywhere else in append_lines (out of memory), the batch is lost.
        if (!appended) {
            dropped_lines_.fetch_add(static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n')),
                                     std::memory_order_relaxed);
        }
        why = std::string("the spool cannot be written: ") + error.what();
    }
    // Said at most once a minute, when lines were lost since the last time.
    const auto dropped = dropped_lines();
    if (dropped > warned_dropped_ && now_s >= last_warning_s_ + 60) {
        last_warning_s_ = now_s;
        warned_dropped_ = dropped;
        if (why.empty()) why = "the log thread fell " + std::to_string(max_pending_bytes_) + " bytes behind";
        spdlog::warn("cache: access log lines lost ({}); {} so far (udn_cache_access_log_dropped_lines_total)", why, dropped);
    }
}

void AccessLog::close() {
    flush(0);
    try {
        spool_.close_current();
    } catch (const std::exception&) {
    }
}

}  // namespace udn::cache::log
