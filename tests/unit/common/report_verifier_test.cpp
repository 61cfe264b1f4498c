#include "common/report/verifier.hpp"

#include <gtest/gtest.h>

#include "common/report/signer.hpp"

namespace udn::report {
namespace {

Key test_key(std::uint8_t fill = 0x5a) { return *Key::from_bytes(std::vector<std::uint8_t>(32, fill)); }

Header header(std::string sender, std::uint64_t sequence, std::uint64_t timestamp_ms) {
    return Header{std::move(sender), sequence, timestamp_ms};
}

constexpr std::uint64_t now_ms = 1'700'000'000'000ull;

TEST(ReplayGuard, AcceptsEachSequenceOnceInAnyOrder) {
    ReplayGuard guard(10'000);
    EXPECT_FALSE(guard.admit(header("a", 100, now_ms), now_ms));
    EXPECT_FALSE(guard.admit(header("a", 102, now_ms), now_ms));
    EXPECT_FALSE(guard.admit(header("a", 101, now_ms), now_ms)) << "late but unseen";
    EXPECT_EQ(guard.admit(header("a", 101, now_ms), now_ms), Error::replayed);
    EXPECT_EQ(guard.admit(header("a", 102, now_ms), now_ms), Error::replayed);
    EXPECT_FALSE(guard.admit(header("b", 101, now_ms), now_ms)) << "senders are independent";
}

TEST(ReplayGuard, RejectsSequencesBehindTheWindow) {
    ReplayGuard guard(10'000);
    EXPECT_FALSE(guard.admit(header("a", 5000, now_ms), now_ms));
    EXPECT_EQ(guard.admit(header("a", 5000 - ReplayGuard::window, now_ms), now_ms), Error::replayed);
    EXPECT_FALSE(guard.admit(header("a", 5000 - ReplayGuard::window + 1, now_ms), now_ms));
    EXPECT_FALSE(guard.admit(header("a", 5000 + 3 * ReplayGuard::window, now_ms), now_ms)) << "big jump";
    EXPECT_EQ(guard.admit(header("a", 5000, now_ms), now_ms), Error::replayed);
}

TEST(ReplayGuard, RejectsStaleAndFutureTimestamps) {
    ReplayGuard guard(10'000);
    EXPECT_EQ(guard.admit(header("a", 1, now_ms - 10'001), now_ms), Error::stale);
    EXPECT_FALSE(guard.admit(header("a", 2, now_ms - 10'000), now_ms));
    EXPECT_EQ(guard.admit(header("a", 3, now_ms + 10'001), now_ms), Error::from_future);
    EXPECT_FALSE(guard.admit(header("a", 4, now_ms + 10'000), now_ms));
    EXPECT_EQ(guard.admit(header("a", 5, 0), now_ms), Error::stale);
    EXPECT_EQ(guard.admit(header("a", 6, ~0ull), now_ms), Error::from_future);
}

TEST(ReplayGuard, ForgetsIdleSendersOnlyWhenTheirReplaysWouldBeStale) {
    ReplayGuard guard(1'000);
    EXPECT_FALSE(guard.admit(header("a", 5000, now_ms + 1'000), now_ms));
    // A restarted sender with a lower sequence is refused while a replay could still be fresh ...
    EXPECT_EQ(guard.admit(header("a", 10, now_ms + 1'999), now_ms + 1'999), Error::replayed);
    // ... and accepted once the window expired.
    EXPECT_FALSE(guard.admit(header("a", 10, now_ms + 2'001), now_ms + 2'001));
}

TEST(ReplayGuard, BoundsTheSenderTable) {
    ReplayGuard guard(1'000, 2);
    EXPECT_FALSE(guard.admit(header("a", 1, now_ms), now_ms));
    EXPECT_FALSE(guard.admit(header("b", 1, now_ms), now_ms));
    EXPECT_EQ(guard.admit(header("c", 1, now_ms), now_ms), Error::too_many_senders);
    EXPECT_FALSE(guard.admit(header("c", 1, now_ms + 5'000), now_ms + 5'000)) << "idle ones evicted";
    EXPECT_EQ(guard.sender_count(), 1u);
}

TEST(Verifier, AcceptsSignedMessagesOnceAndCountsDrops) {
    Signer signer(test_key(), "eu-ns1", 42);
    Verifier verifier(test_key(), 10'000);
    auto sealed = signer.seal(LoadQuery{}, now_ms);
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed.value().sequence, 42u);
    auto accepted = verifier.accept(sealed.value().datagram, now_ms);
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted.value().header.sender, "eu-ns1");
    EXPECT_EQ(accepted.value().header.sequence, 42u);
    EXPECT_EQ(verifier.accept(sealed.value().datagram, now_ms).error(), Error::replayed);

    Signer forger(test_key(0x11), "eu-ns1", 43);
    EXPECT_EQ(verifier.accept(forger.seal(LoadQuery{}, now_ms).value().datagram, now_ms).error(), Error::bad_mac);
    EXPECT_EQ(verifier.accept(signer.seal(LoadQuery{}, now_ms - 60'000).value().datagram, now_ms).error(),
              Error::stale);
    EXPECT_TRUE(verifier.accept(signer.seal(LoadQuery{}, now_ms).value().datagram, now_ms));

    const auto& counters = verifier.counters();
    EXPECT_EQ(counters.accepted, 2u);
    EXPECT_EQ(counters.rejected[static_cast<std::size_t>(Error::replayed)], 1u);
    EXPECT_EQ(counters.rejected[static_cast<std::size_t>(Error::bad_mac)], 1u);
    EXPECT_EQ(counters.rejected[static_cast<std::size_t>(Error::stale)], 1u);
}

TEST(Signer, SequencesStartAtStartupMicrosecondsSoRestartsKeepGrowing) {
    const auto before = unix_time_us();
    Signer signer(test_key(), "eu-ns1");
    const auto first = signer.seal(LoadQuery{}, unix_time_ms()).value().sequence;
    const auto second = signer.seal(LoadQuery{}, unix_time_ms()).value().sequence;
    EXPECT_GE(first, before);
    EXPECT_GT(second, first);
}

// The probe's flake in test_probe_dns_e2e: its service reporter and its latency probe each have
// a signer for the same sender name, created milliseconds apart. Interleaved, every message of
// both must be accepted.
TEST(Signer, TwoSignersOfOneSenderInOneProcessAreNeverReplaysOfEachOther) {
    Signer services(test_key(), "eu-ns1");
    const auto first = services.seal(LoadQuery{}, unix_time_ms()).value().datagram;
    const auto started = unix_time_us();
    while (unix_time_us() < started + 5000) {
    }
    Signer latency(test_key(), "eu-ns1");
    Verifier verifier(test_key(), 60'000);
    const auto now_ms = unix_time_ms();
    ASSERT_TRUE(verifier.accept(first, now_ms));
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(verifier.accept(latency.seal(LoadQuery{}, now_ms).value().datagram, now_ms)) << i;
        ASSERT_TRUE(verifier.accept(services.seal(LoadQuery{}, now_ms).value().datagram, now_ms)) << i;
    }
}

}  // namespace
}  // namespace udn::report
