// Access-log spool writer; see access_log.hpp.
#include "cache/log/access_log.hpp"

#include <cinttypes>
#include <ctime>

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
    : directory_(std::move(directory)), max_bytes_(max_bytes), max_age_s_(max_age_s) {
    std::filesystem::create_directories(directory_);
}

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
    line += '\n';
    std::lock_guard lock(mutex_);
    pending_ += line;
}

void AccessLog::flush(std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    if (file_ && (file_bytes_ >= max_bytes_ || now_s - opened_s_ >= max_age_s_)) close_locked();
    if (pending_.empty()) return;
    if (!file_) open_locked(now_s);
    if (!file_) return;  // directory gone: keep the lines and retry on the next flush
    std::fwrite(pending_.data(), 1, pending_.size(), file_);
    std::fflush(file_);
    file_bytes_ += pending_.size();
    pending_.clear();
}

void AccessLog::close() {
    std::lock_guard lock(mutex_);
    if (!pending_.empty()) {
        if (!file_) open_locked(static_cast<std::int64_t>(std::time(nullptr)));
        if (file_) {
            std::fwrite(pending_.data(), 1, pending_.size(), file_);
            pending_.clear();
        }
    }
    close_locked();
}

void AccessLog::open_locked(std::int64_t now_s) {
    char name[96];
    std::snprintf(name, sizeof name, "access-%" PRId64 "-%" PRIu64 ".log", now_s, sequence_++);
    file_path_ = directory_ / name;
    file_ = std::fopen(file_path_.c_str(), "ab");
    file_bytes_ = 0;
    opened_s_ = now_s;
}

void AccessLog::close_locked() {
    if (!file_) return;
    std::fclose(file_);
    file_ = nullptr;
    std::error_code ignored;
    auto done = file_path_;
    done.replace_extension(".done");
    std::filesystem::rename(file_path_, done, ignored);
}

}  // namespace udn::cache::log
