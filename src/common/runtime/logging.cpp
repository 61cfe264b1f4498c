// spdlog set-up for text and JSON-lines output; see logging.hpp.
//
// Structured fields travel inside the spdlog payload: "message\x1f{json object of fields}".
// The unit separator (0x1f) never appears in a message we log (log_fields() replaces it), so the
// formatter can split the payload back into message and fields for either output format.
#include "common/runtime/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <mutex>
#include <nlohmann/json.hpp>

namespace udn::runtime {
namespace {

constexpr char field_separator = '\x1f';

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::trace: return spdlog::level::trace;
        case LogLevel::debug: return spdlog::level::debug;
        case LogLevel::info: return spdlog::level::info;
        case LogLevel::warn: return spdlog::level::warn;
        case LogLevel::error: return spdlog::level::err;
        case LogLevel::critical: return spdlog::level::critical;
        case LogLevel::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

std::string iso_utc_millis(std::chrono::system_clock::time_point time) {
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                       utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis % 1000));
}

bool needs_quotes(std::string_view value) {
    if (value.empty()) return true;
    for (const char c : value) {
        if (c == ' ' || c == '=' || c == '"' || static_cast<unsigned char>(c) < 0x20) return true;
    }
    return false;
}

std::string text_value(const nlohmann::json& value) {
    const std::string raw = value.is_string() ? value.get<std::string>() : value.dump();
    return needs_quotes(raw) ? nlohmann::json(raw).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                             : raw;
}

class RecordFormatter final : public spdlog::formatter {
public:
    RecordFormatter(LogFormat format, std::string role, std::string server)
        : format_(format), role_(std::move(role)), server_(std::move(server)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string line = format_record(format_, iso_utc_millis(msg.time), {level.data(), level.size()},
                                               role_, server_, {msg.payload.data(), msg.payload.size()});
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<RecordFormatter>(format_, role_, server_);
    }

private:
    LogFormat format_;
    std::string role_;
    std::string server_;
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
    if (name == "text") return LogFormat::text;
    if (name == "json" || name == "json-lines") return LogFormat::json_lines;
    return std::nullopt;
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "trace") return LogLevel::trace;
    if (name == "debug") return LogLevel::debug;
    if (name == "info") return LogLevel::info;
    if (name == "warn" || name == "warning") return LogLevel::warn;
    if (name == "error") return LogLevel::error;
    if (name == "critical") return LogLevel::critical;
    if (name == "off") return LogLevel::off;
    return std::nullopt;
}

std::string format_record(LogFormat format, std::string_view timestamp_text, std::string_view level,
                          std::string_view role, std::string_view server, std::string_view payload) {
    std::string_view message = payload;
    nlohmann::json fields = nlohmann::json::object();
    if (const auto split = payload.find(field_separator); split != std::string_view::npos) {
        message = payload.substr(0, split);
        auto parsed = nlohmann::json::parse(payload.substr(split + 1), nullptr, /*allow_exceptions=*/false);
        if (parsed.is_object()) fields = std::move(parsed);
    }
    constexpr auto on_bad_utf8 = nlohmann::json::error_handler_t::replace;
    if (format == LogFormat::json_lines) {
        nlohmann::ordered_json record;
        record["ts"] = timestamp_text;
        record["level"] = level;
        record["role"] = role;
        if (!server.empty()) record["server"] = server;
        record["msg"] = message;
        for (const auto& [key, value] : fields.items()) {
            if (!record.contains(key)) record[key] = value;
        }
        return record.dump(-1, ' ', false, on_bad_utf8);
    }
    std::string line = fmt::format("{} {:<5} {}", timestamp_text, level, role);
    if (!server.empty()) fmt::format_to(std::back_inserter(line), "[{}]", server);
    fmt::format_to(std::back_inserter(line), " {}", message);
    for (const auto& [key, value] : fields.items()) {
        fmt::format_to(std::back_inserter(line), " {}={}", key, text_value(value));
    }
    return line;
}

void setup_logging(const LogOptions& options) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(options.role.empty() ? "udn" : options.role, std::move(sink));
    logger->set_formatter(std::make_unique<RecordFormatter>(options.format, options.role, options.server));
    logger->set_level(to_spdlog(options.level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

void log_fields(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    std::string payload{message};
    std::replace(payload.begin(), payload.end(), field_separator, ' ');
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : fields) object[std::string{key}] = std::string{value};
    payload.push_back(field_separator);
    payload += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    spdlog::default_logger_raw()->log(to_spdlog(level), "{}", payload);
}

}  // namespace udn::runtime
