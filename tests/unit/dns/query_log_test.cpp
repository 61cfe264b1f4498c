// The query log's rings and batched spool writes: every queued record becomes one line, a
// drain is one spool batch, and a full ring drops (and counts) instead of blocking a worker.
#include "dns/server/query_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

    static QueryLogRecord record(std::int64_t time_ms, std::string_view qname) {
        QueryLogRecord out;
        out.time_ms = time_ms;
        out.client = testing::ip("192.0.2.1");
        out.qname = *wire::Name::from_text(qname);
        out.qtype = wire::rr_type::a;
        return out;
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
    log.add(0, record(1, "a.example"));
    log.add(1, record(2, "B.example"));
    log.add(0, record(3, "c.example"));
    log.add(7, record(4, "nobody.example"));  // no such worker: ignored
    log.drain();
    EXPECT_EQ(current(),
              "1\tns1\t192.0.2.1\tudp\ta.example\tA\tNOERROR\t-\t-\t-\n"
              "3\tns1\t192.0.2.1\tudp\tc.example\tA\tNOERROR\t-\t-\t-\n"
              "2\tns1\t192.0.2.1\tudp\tb.example\tA\tNOERROR\t-\t-\t-\n");
    EXPECT_EQ(log.written(), 3u);
    log.drain();  // nothing new
    EXPECT_EQ(log.written(), 3u);
}

TEST_F(QueryLogRings, ADrainLargerThanItsBufferKeepsEveryLineWholeAndInOrder) {
    // The batch buffer starts at 64 KiB and doubles: 4,000 lines of ~250 bytes (200-byte names, a
    // new millisecond every 3 lines) cross that several times, and every line written before a
    // growth must survive the copy.
    QueryLog log(1, "ns1", spool_);
    std::string expected;
    for (int i = 0; i < 4000; ++i) {
        const std::string label(60, static_cast<char>('a' + i % 26));
        const std::string name =
            label + "." + label + "." + label + ".n" + std::to_string(i) + ".example";
        log.add(0, record(1'700'000'000'000 + i / 3, name));
        expected += std::to_string(1'700'000'000'000 + i / 3) + "\tns1\t192.0.2.1\tudp\t" + name +
                    "\tA\tNOERROR\t-\t-\t-\n";
        if (i % 1000 == 999) log.drain();  // drains of 1,000 lines: rings hold 8,192
    }
    log.drain();
    EXPECT_GT(expected.size(), std::size_t{4} * (64 << 10));
    EXPECT_EQ(current(), expected);
    EXPECT_EQ(log.written(), 4000u);
    EXPECT_EQ(log.dropped(), 0u);
}

TEST(QueryLogAddresses, EveryOctetWidthAndIpv6) {
    QueryLogRecord record;
    record.client = testing::ip("10.0.100.255");
    record.qname = *wire::Name::from_text("x.example");
    record.qtype = wire::rr_type::aaaa;
    record.has_answer = true;
    record.answer = testing::ip("0.9.99.100");
    record.has_client_subnet = true;
    record.client_subnet = testing::ip("2001:db8::");
    record.source_prefix_length = 56;
    record.scope_prefix_length = 48;
    EXPECT_EQ(format_query_log_line(record, "s"),
              "0\ts\t10.0.100.255\tudp\tx.example\tAAAA\tNOERROR\t0.9.99.100\t-\t2001:db8::/56/48");
}

TEST_F(QueryLogRings, AFullRingDropsAndCountsInsteadOfBlocking) {
    QueryLog log(1, "ns1", spool_);
    for (std::size_t i = 0; i < QueryLog::ring_records + 5; ++i)
        log.add(0, record(static_cast<std::int64_t>(i), "x.example"));
    EXPECT_EQ(log.dropped(), 5u);
    log.drain();
    EXPECT_EQ(log.written(), QueryLog::ring_records);
    log.add(0, record(1, "after.example"));  // room again
    log.drain();
    EXPECT_EQ(log.written(), QueryLog::ring_records + 1);
    EXPECT_EQ(log.dropped(), 5u);
}

TEST_F(QueryLogRings, TheWriterThreadShipsLinesAndStopDrainsTheRest) {
    QueryLog log(1, "ns1", spool_);
    log.start();
    log.add(0, record(1, "one.example"));
    for (int i = 0; i < 200 && log.written() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(log.written(), 1u);
    log.add(0, record(2, "two.example"));
    log.stop();
    EXPECT_EQ(log.written(), 2u);
    EXPECT_NE(current().find("two.example"), std::string::npos);
}

}  // namespace
}  // namespace udn::dns::server
