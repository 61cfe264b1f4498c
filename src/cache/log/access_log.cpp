// Access-log spool writer; see access_log.hpp.
#include "cache/log/access_log.hpp"

#include <cinttypes>
#include <ctime>
#include <exception>

namespace udn::cache::log {

namespace {

// Tabs and newlines inside fields would break the line format; they are replaced.
void append_field(std::string& line, std::string_view text) {
    if (text.empty()) {
        line += '-';
        return;
    }
    for (const char c : text) line += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
}

}  // namespace

AccessLog::AccessLog(std::filesystem::path directory, std::size_t max_bytes, std::uint32_t max_age_s)
    : spool_(runtime::SpoolOptions{std::move(directory), max_bytes, max_age_s}) {}

AccessLog::~AccessLog() { close(); }

void AccessLog::append(const AccessRecord& record) {
    char time_text[64];
    const std::time_t seconds = record.time_ms / 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    const auto length = std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(time_text + length, sizeof time_text - length, ".%03dZ", static_cast<int>(record.time_ms % 1000));
    std::string line;
    line.reserve(256);
    line += time_text;
    for (const auto field : {record.pop, record.client, record.host, record.customer, record.method, record.url}) {
        line += '\t';
        append_field(line, field);
    }
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "\t%d\t%" PRIu64 "\t", record.status, record.bytes);
    line += numbers;
    append_field(line, record.result);
    std::snprintf(numbers, sizeof numbers, "\t%.3f\t%.3f\t", record.first_byte_ms, record.total_ms);
    line += numbers;
    append_field(line, record.origin);
    line += '\t';
    append_field(line, record.scheme);
    line += '\n';
    std::lock_guard lock(mutex_);
    pending_ += line;
}

void AccessLog::flush(std::int64_t /*now_s*/) {
    std::string lines;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
    }
    std::string_view rest = lines;
    try {
        while (!rest.empty()) {
            const auto newline = rest.find('\n');
            spool_.append(rest.substr(0, newline));
            rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        }
        spool_.tick();
    } catch (const std::exception&) {
        // The spool directory is unwritable (disk full, removed): keep serving; the lines of
        // this batch are lost and counted by nothing but their absence.
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
