// Process-wide logging for every role: spdlog set up once at start with the role and server
// names, as human-readable text or as JSON lines (one object per line, for log shippers).
// Structured fields go through log_fields() so that both formats keep them as key/value pairs.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace udn::runtime {

enum class LogFormat { text, json_lines };
enum class LogLevel { trace, debug, info, warn, error, critical, off };

struct LogOptions {
    std::string role;    // "dns", "cache", ... (shown in every line)
    std::string server;  // config server name, may be empty (e.g. `udn up`)
    LogFormat format = LogFormat::text;
    LogLevel level = LogLevel::info;
};

// "text" / "json" (also "json-lines"); nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);
// "trace" ... "off"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);

// Replaces spdlog's default logger with a stderr logger in the chosen format. Call once at
// start, before threads log; calling again reconfigures (tests do that).
void setup_logging(const LogOptions& options);

// One structured field: the value is already rendered (numbers as their decimal text).
using LogField = std::pair<std::string_view, std::string_view>;

// Logs `message` with extra key/value fields through the default spdlog logger:
// text:       "... message key=value key2=\"two words\""
// json lines: {"ts":...,"level":...,"role":...,"server":...,"msg":message,"key":"value",...}
void log_fields(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);

// Renders one record exactly as the logger would (no trailing newline); used by the formatter
// and by tests. `timestamp_text` is ISO-8601 UTC with milliseconds.
std::string format_record(LogFormat format, std::string_view timestamp_text, std::string_view level,
                          std::string_view role, std::string_view server, std::string_view payload);

}  // namespace udn::runtime
