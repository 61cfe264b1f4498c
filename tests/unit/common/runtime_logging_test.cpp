// Log record rendering in both formats, including structured fields and hostile text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/runtime/logging.hpp"

namespace udn::runtime {
namespace {

TEST(RuntimeLogging, TextLineHasTimeLevelRoleServerMessage) {
    const auto line = format_record(LogFormat::text, "2026-01-02T03:04:05.006Z", "info", "dns", "eu-ns1", "started");
    EXPECT_EQ(line, "2026-01-02T03:04:05.006Z info  dns[eu-ns1] started");
}

TEST(RuntimeLogging, TextRendersFieldsAsKeyValueQuotingWhenNeeded) {
    const auto line = format_record(LogFormat::text, "T", "warn", "cache", "", "slow origin\x1f{\"ms\":\"12\",\"host\":\"a b\"}");
    EXPECT_EQ(line, "T warn  cache slow origin host=\"a b\" ms=12");
}

TEST(RuntimeLogging, JsonLineIsOneObjectWithFields) {
    const auto line = format_record(LogFormat::json_lines, "T", "error", "dns", "eu-ns1",
                                    "bad packet\x1f{\"from\":\"127.0.0.1\",\"msg\":\"spoof\"}");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto record = nlohmann::json::parse(line);
    EXPECT_EQ(record["ts"], "T");
    EXPECT_EQ(record["level"], "error");
    EXPECT_EQ(record["role"], "dns");
    EXPECT_EQ(record["server"], "eu-ns1");
    EXPECT_EQ(record["msg"], "bad packet");  // a field cannot overwrite the standard keys
    EXPECT_EQ(record["from"], "127.0.0.1");
}

TEST(RuntimeLogging, JsonEscapesNewlinesAndInvalidUtf8) {
    const auto line = format_record(LogFormat::json_lines, "T", "info", "probe", "", "two\nlines \xff end");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto record = nlohmann::json::parse(line);
    EXPECT_EQ(record["msg"].get<std::string>().substr(0, 9), "two\nlines");
}

TEST(RuntimeLogging, MalformedFieldPartIsIgnoredNotFatal) {
    const auto line = format_record(LogFormat::json_lines, "T", "info", "dns", "", "msg\x1f{not json");
    EXPECT_EQ(nlohmann::json::parse(line)["msg"], "msg");
}

TEST(RuntimeLogging, ParsesFormatAndLevelNames) {
    EXPECT_EQ(parse_log_format("json"), LogFormat::json_lines);
    EXPECT_EQ(parse_log_format("text"), LogFormat::text);
    EXPECT_FALSE(parse_log_format("xml"));
    EXPECT_EQ(parse_log_level("warn"), LogLevel::warn);
    EXPECT_FALSE(parse_log_level("loud"));
}

TEST(RuntimeLogging, SetupAndLogFieldsDoNotThrow) {
    setup_logging({"test", "server-1", LogFormat::json_lines, LogLevel::off});
    EXPECT_NO_THROW(log_fields(LogLevel::info, "hello\x1f", {{"k", "v"}}));
    setup_logging({"test", "", LogFormat::text, LogLevel::info});
}

}  // namespace
}  // namespace udn::runtime
