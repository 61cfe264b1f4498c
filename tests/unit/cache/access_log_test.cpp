// The access log's line format (docs/cache.md) and its batching into the spool.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cache/log/access_log.hpp"

namespace udn::cache::log {
namespace {

namespace fs = std::filesystem;

std::string read_ready(const fs::path& directory) {
    std::string text;
    for (const auto& entry : fs::directory_iterator(directory / "ready")) {
        std::ifstream in(entry.path());
        std::stringstream content;
        content << in.rdbuf();
        text += content.str();
    }
    return text;
}

TEST(AccessLog, FormatsOneTabSeparatedLinePerRequest) {
    const auto directory = fs::temp_directory_path() / ("udn-access-log-" + std::to_string(std::random_device{}()));
    {
        AccessLog log(directory, 1 << 20, 60);
        AccessRecord record;
        record.time_ms = 1795474800123;  // 2026-11-23T23:00:00.123Z
        record.pop = "ams";
        record.client = "127.0.0.1";
        record.host = "www.example.com";
        record.customer = "acme";
        record.method = "GET";
        record.url = "/a\tb";
        record.status = 200;
        record.bytes = 1024;
        record.result = "HIT";
        record.first_byte_ms = 0.0456;
        record.total_ms = 12.3456;
        record.origin = "";
        log.append(record);
        record.time_ms += 1001;
        record.status = 404;
        record.first_byte_ms = 1.9996;
        record.scheme = "https";
        log.append(record);
        log.flush(0);
        log.close();
    }
    EXPECT_EQ(read_ready(directory),
              "2026-11-23T23:00:00.123Z\tams\t127.0.0.1\twww.example.com\tacme\tGET\t/a b\t200\t1024\tHIT\t0.046\t12.346\t-\thttp\n"
              "2026-11-23T23:00:01.124Z\tams\t127.0.0.1\twww.example.com\tacme\tGET\t/a b\t404\t1024\tHIT\t2.000\t12.346\t-\thttps\n");
    fs::remove_all(directory);
}

// Fields are copied whole and checked a word at a time for control characters: a tab, CR or LF
// anywhere in a long field is blanked, bytes of UTF-8 (>= 0x80) are left alone, and a field
// longer than the line buffer's first size (a URL near the 8 KiB request-line limit) is whole.
TEST(AccessLog, BlanksControlCharactersInLongFieldsAndKeepsLongUrls) {
    const auto directory = fs::temp_directory_path() / ("udn-access-log-" + std::to_string(std::random_device{}()));
    const std::string long_url = "/" + std::string(8000, 'u');
    {
        AccessLog log(directory, 1 << 20, 60);
        AccessRecord record;
        record.time_ms = 1795474800123;
        record.pop = "ams";
        record.host = "h\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9.example\r";
        record.url = "/0123456\n89abcdef\t";
        record.result = "HIT";
        record.first_byte_ms = -1;  // clamped to 0
        record.total_ms = 1e300;    // clamped, not overflowed
        log.append(record);
        record.host = "x";
        record.url = long_url;
        log.append(record);
        log.flush(0);
        log.close();
    }
    const auto text = read_ready(directory);
    const auto first = text.substr(0, text.find('\n') + 1);
    EXPECT_EQ(first,
              "2026-11-23T23:00:00.123Z\tams\t-\th\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9.example \t-\t-\t/0123456 89abcdef \t0\t0\tHIT\t0.000\t"
              "1000000000000000.000\t-\thttp\n");
    EXPECT_NE(text.find("\tx\t-\t-\t" + long_url + "\t0\t0\tHIT\t"), std::string::npos);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    fs::remove_all(directory);
}

// A starved log thread must not let the buffer grow without bound: beyond the cap lines are
// dropped and counted, and every line is either written or counted.
TEST(AccessLog, BufferIsBoundedAndDropsAreCounted) {
    const auto directory = fs::temp_directory_path() / ("udn-access-log-" + std::to_string(std::random_device{}()));
    constexpr int appended = 100;
    std::uint64_t dropped = 0;
    {
        AccessLog log(directory, 1 << 20, 60, 2000);  // room for ~20 lines of ~90 bytes
        AccessRecord record;
        record.pop = "ams";
        record.url = "/x";
        for (int i = 0; i < appended; ++i) log.append(record);
        dropped = log.dropped_lines();
        EXPECT_GT(dropped, 60u);
        EXPECT_LT(dropped, 90u);
        log.flush(0);
        log.append(record);  // room again after a flush
        EXPECT_EQ(log.dropped_lines(), dropped);
        log.close();
    }
    const auto text = read_ready(directory);
    EXPECT_EQ(static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')) + dropped, appended + 1u);
    fs::remove_all(directory);
}

// A spool that fails after taking part of a flush: only the lines it did not take are lost.
TEST(AccessLog, LinesTheSpoolTookBeforeFailingAreNotCountedAsDropped) {
    const auto directory = fs::temp_directory_path() / ("udn-access-log-" + std::to_string(std::random_device{}()));
    AccessRecord record;
    record.pop = "ams";
    record.url = "/x";
    {
        AccessLog measure(directory / "measure", 1 << 20, 60);
        measure.append(record);
        measure.close();
    }
    const auto line_bytes = read_ready(directory / "measure").size();
    {
        AccessLog log(directory / "log", 2 * line_bytes, 60);  // files of two lines
        for (int i = 0; i < 3; ++i) log.append(record);
        const auto ready = directory / "log" / "ready";
        fs::remove_all(ready);
        std::ofstream(ready) << "in the way";  // closing the first file fails after two lines
        log.flush(0);
        EXPECT_EQ(log.dropped_lines(), 1u);
        fs::remove(ready);
        fs::create_directories(ready);
        log.close();
        EXPECT_EQ(log.dropped_lines(), 1u);
    }
    const auto text = read_ready(directory / "log");
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << "the two lines the spool took were published";
    fs::remove_all(directory);
}

}  // namespace
}  // namespace udn::cache::log
