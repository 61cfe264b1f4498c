// The query log's rings and batched spool writes: every added query becomes one whole line in
// order (also where a line crosses the ring's end), a drain ships what was queued, and a full
// ring drops (and counts) instead of blocking a worker.
#include "dns/server/query_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/runtime/spool.hpp"
#include "dns/wire/types.hpp"
#include "test_config.hpp"

namespace udn::dns::server {
namespace {

namespace fs = std::filesystem;

class QueryLogRings : public ::testing::Test {
  protected:
    QueryLogRings()
        : directory_(fs::temp_directory_path() /
                     ("udn-query-log-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name())),
          spool_({directory_, 1 << 24, 3600}) {}
    ~QueryLogRings() override { fs::remove_all(directory_); }

    // A query for `qname` from 192.0.2.1, type A, NOERROR, no answer address, no subnet.
    static void add(QueryLog& log, std::size_t worker, std::int64_t time_ms,
                    std::string_view qname) {
        const auto name = *wire::Name::from_text(qname);
        QueryLogEntry entry;
        entry.time_ms = time_ms;
        entry.client = testing::ip("192.0.2.1");
        entry.qname = &name;
        entry.qtype = wire::rr_type::a;
        log.add(worker, entry);
    }
    static std::string line(std::int64_t time_ms, std::string_view qname) {
        return std::to_string(time_ms) + "\tns1\t192.0.2.1\tudp\t" + std::string(qname) +
               "\tA\tNOERROR\t-\t-\t-\n";
    }
    std::string current() const {
        std::ifstream in(spool_.current_path());
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    fs::path directory_;
    runtime::SpoolWriter spool_;
};

TEST_F(QueryLogRings, EveryWorkersRecordsBecomeLinesInOneDrain) {
    QueryLog log(2, "ns1", spool_);
    add(log, 0, 1, "a.example");
    add(log, 1, 2, "B.example");
    add(log, 0, 3, "c.example");
    add(log, 7, 4, "nobody.example");  // no such worker: ignored
    log.drain();
    EXPECT_EQ(current(),
              "1\tns1\t192.0.2.1\tudp\ta.example\tA\tNOERROR\t-\t-\t-\n"
              "3\tns1\t192.0.2.1\tudp\tc.example\tA\tNOERROR\t-\t-\t-\n"
              "2\tns1\t192.0.2.1\tudp\tb.example\tA\tNOERROR\t-\t-\t-\n");
    EXPECT_EQ(log.written(), 3u);
    log.drain();  // nothing new
    EXPECT_EQ(log.written(), 3u);
}

TEST_F(QueryLogRings, LinesThatCrossTheRingsEndStayWholeAndInOrder) {
    // 20,000 lines of ~250 bytes (200-byte names, a new millisecond every 3 lines) are ~5 MB:
    // the 2 MiB ring wraps twice, and lines of this length cross its end at many offsets. The
    // mirror behind the end must make each of them one whole piece in the spool.
    QueryLog log(1, "ns1", spool_);
    std::string expected;
    for (int i = 0; i < 20000; ++i) {
        const std::string label(60, static_cast<char>('a' + i % 26));
        const std::string name =
            label + "." + label + "." + label + ".n" + std::to_string(i) + ".example";
        add(log, 0, 1'700'000'000'000 + i / 3, name);
        expected += line(1'700'000'000'000 + i / 3, name);
        if (i % 1000 == 999) log.drain();  // ~250 KB per drain
    }
    log.drain();
    EXPECT_GT(expected.size(), 2 * QueryLog::ring_bytes);
    EXPECT_EQ(current(), expected);
    EXPECT_EQ(log.written(), 20000u);
    EXPECT_EQ(log.dropped(), 0u);
}

TEST_F(QueryLogRings, AWorkerAndTheWriterThreadTogetherLoseNoLineUncounted) {
    // The worker and the writer thread run at once, as in production: every line is either in
    // the spool, whole and in order, or counted as dropped (when the writer falls behind).
    QueryLog log(1, "ns1", spool_);
    log.start();
    constexpr int queries = 200'000;
    std::thread worker([&] {
        for (int i = 0; i < queries; ++i) add(log, 0, i, "q" + std::to_string(i) + ".example");
    });
    worker.join();
    log.stop();
    EXPECT_EQ(log.written() + log.dropped(), static_cast<std::uint64_t>(queries));
    std::istringstream text(current());
    std::string got;
    std::uint64_t lines = 0;
    long last = -1;
    while (std::getline(text, got)) {
        const auto number = std::stol(got);
        ASSERT_GT(number, last) << "line " << lines;
        ASSERT_EQ(got + "\n", line(number, "q" + std::to_string(number) + ".example"))
            << "line " << lines;
        last = number;
        ++lines;
    }
    EXPECT_EQ(lines, log.written());
}

TEST(QueryLogAddresses, EveryOctetWidthAndIpv6) {
    const auto qname = *wire::Name::from_text("x.example");
    const auto answer = testing::ip("0.9.99.100");
    const auto subnet = testing::ip("2001:db8::");
    QueryLogEntry entry;
    entry.client = testing::ip("10.0.100.255");
    entry.qname = &qname;
    entry.qtype = wire::rr_type::aaaa;
    entry.answer = &answer;
    entry.client_subnet = &subnet;
    entry.source_prefix_length = 56;
    entry.scope_prefix_length = 48;
    EXPECT_EQ(format_query_log_line(entry, "s"),
              "0\ts\t10.0.100.255\tudp\tx.example\tAAAA\tNOERROR\t0.9.99.100\t-\t2001:db8::/56/48");
    entry.client = testing::ip("2001:db8:ffff:1:2:3:4:5");
    entry.client_subnet = nullptr;
    entry.answer = nullptr;
    EXPECT_EQ(format_query_log_line(entry, "s"),
              "0\ts\t2001:db8:ffff:1:2:3:4:5\tudp\tx.example\tAAAA\tNOERROR\t-\t-\t-");
}

TEST(QueryLogLineName, AKnownTextIsCopiedAndOtherwiseTheNameIsFormatted) {
    const auto qname = *wire::Name::from_text("Www.Acme.Example");
    QueryLogEntry entry;
    entry.client = testing::ip("192.0.2.1");
    entry.qname = &qname;
    entry.qtype = wire::rr_type::a;
    EXPECT_EQ(format_query_log_line(entry, "s"), "0\ts\t192.0.2.1\tudp\twww.acme.example\tA\tNOERROR\t-\t-\t-");
    entry.qname_text = "from.the.zone";  // the worker passes its node's text: used as it is
    EXPECT_EQ(format_query_log_line(entry, "s"), "0\ts\t192.0.2.1\tudp\tfrom.the.zone\tA\tNOERROR\t-\t-\t-");
}

TEST(QueryLogLineType, MnemonicsAsDigWritesThemAndTypeNumbersForTheRest) {
    const auto qname = *wire::Name::from_text("x.example");
    QueryLogEntry entry;
    entry.client = testing::ip("192.0.2.1");
    entry.qname = &qname;
    const auto type_field = [&](std::uint16_t type) {
        entry.qtype = type;
        const auto line = format_query_log_line(entry, "s");
        const auto start = line.find("x.example\t") + 10;
        return line.substr(start, line.find('\t', start) - start);
    };
    EXPECT_EQ(type_field(wire::rr_type::a), "A");
    EXPECT_EQ(type_field(wire::rr_type::aaaa), "AAAA");
    EXPECT_EQ(type_field(65), "HTTPS");
    EXPECT_EQ(type_field(64), "SVCB");
    EXPECT_EQ(type_field(12), "PTR");
    EXPECT_EQ(type_field(wire::rr_type::any), "ANY");
    EXPECT_EQ(type_field(257), "CAA");
    EXPECT_EQ(type_field(0), "TYPE0");
    EXPECT_EQ(type_field(65280), "TYPE65280");  // private use
    EXPECT_EQ(type_field(65535), "TYPE65535");  // the longest
}

TEST_F(QueryLogRings, AFullRingDropsAndCountsInsteadOfBlocking) {
    QueryLog log(1, "ns1", spool_);
    // Fill the ring: nobody drains it, so it takes lines until the room left is less than a
    // line can take at most. (Bounded: a ring of lines of at least 40 bytes holds fewer.)
    std::uint64_t accepted = 0;
    std::size_t accepted_bytes = 0;
    for (std::size_t i = 0; i < QueryLog::ring_bytes / 40 && log.dropped() == 0; ++i) {
        add(log, 0, static_cast<std::int64_t>(i), "x.example");
        if (log.dropped() == 0) {
            ++accepted;
            accepted_bytes += line(static_cast<std::int64_t>(i), "x.example").size();
        }
    }
    ASSERT_EQ(log.dropped(), 1u) << "the ring never filled";
    // Full means less room than the longest possible line (~1.4 KB), not more.
    EXPECT_GT(accepted_bytes, QueryLog::ring_bytes - 2048) << "the ring filled early";
    for (int i = 0; i < 4; ++i) add(log, 0, 1, "x.example");
    EXPECT_EQ(log.dropped(), 5u);
    log.drain();
    EXPECT_EQ(log.written(), accepted);
    add(log, 0, 1, "after.example");  // room again
    log.drain();
    EXPECT_EQ(log.written(), accepted + 1);
    EXPECT_EQ(log.dropped(), 5u);
    EXPECT_NE(current().find("\tafter.example\t"), std::string::npos);
}

TEST_F(QueryLogRings, LinesTheSpoolTookBeforeFailingCountAsWrittenNotDropped) {
    // Files of two lines: the third line of a drain opens a new file after closing the first,
    // and that close fails while ready/ is not a directory.
    const auto size = line(1, "x.example").size();
    runtime::SpoolWriter small({directory_ / "small", 2 * size, 3600});
    QueryLog log(1, "ns1", small);
    for (int i = 0; i < 3; ++i) add(log, 0, 1, "x.example");
    fs::remove_all(small.ready_directory());
    std::ofstream(small.ready_directory()) << "in the way";
    log.drain();
    EXPECT_EQ(log.written(), 2u) << "both lines are in the spool's current file";
    EXPECT_EQ(log.dropped(), 1u);
    fs::remove(small.ready_directory());
    fs::create_directories(small.ready_directory());
    add(log, 0, 2, "y.example");
    log.drain();
    EXPECT_EQ(log.written(), 3u);
    EXPECT_EQ(log.dropped(), 1u);
    std::ifstream published(fs::directory_iterator(small.ready_directory())->path());
    std::stringstream text;
    text << published.rdbuf();
    EXPECT_EQ(text.str(), line(1, "x.example") + line(1, "x.example"));
}

TEST_F(QueryLogRings, TheWriterThreadShipsLinesAndStopDrainsTheRest) {
    QueryLog log(1, "ns1", spool_);
    log.start();
    add(log, 0, 1, "one.example");
    for (int i = 0; i < 200 && log.written() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(log.written(), 1u);
    add(log, 0, 2, "two.example");
    log.stop();
    EXPECT_EQ(log.written(), 2u);
    EXPECT_NE(current().find("two.example"), std::string::npos);
}

}  // namespace
}  // namespace udn::dns::server
