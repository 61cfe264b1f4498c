// The DNS cluster: who owns a client prefix (rendezvous hashing), the forwarded-query envelope,
// and the per-worker forwarder (forward, relay, time out, suspend) over real loopback sockets.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "dns/cluster/envelope.hpp"
#include "dns/cluster/forwarder.hpp"
#include "dns/cluster/handover.hpp"
#include "dns/cluster/ring.hpp"
#include "dns/gslb/candidates.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/persistence_table.hpp"
#include "dns/server/query_handler.hpp"
#include "test_config.hpp"

namespace udn::dns {
namespace {

using testing::ip;

std::shared_ptr<const cluster::Ring> ring_for(const config::Config& config, std::string_view self) {
    std::vector<std::string> dropped;
    auto ring = cluster::Ring::build(config, self, dropped);
    EXPECT_TRUE(dropped.empty());
    return ring;
}

std::uint64_t prefix(std::uint32_t n) {
    return gslb::client_prefix_key(
        net::IpAddress::v4({static_cast<std::uint8_t>(10 + (n >> 16)),
                            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), 1}));
}

TEST(ClusterRing, EveryServerAgreesOnTheOwner) {
    const auto config = testing::make_config();
    const auto eu = ring_for(config, "eu-ns1");
    const auto us = ring_for(config, "us-ns1");
    const auto ap = ring_for(config, "ap-ns1");
    ASSERT_TRUE(eu && us && ap);
    ASSERT_EQ(eu->size(), 3u);
    EXPECT_NE(eu->self(), us->self());
    for (std::uint32_t n = 0; n < 2000; ++n) {
        const auto owner = eu->member(eu->owner(prefix(n))).name;
        EXPECT_EQ(owner, us->member(us->owner(prefix(n))).name);
        EXPECT_EQ(owner, ap->member(ap->owner(prefix(n))).name);
    }
}

TEST(ClusterRing, SplitsPrefixesEvenly) {
    const auto ring = ring_for(testing::make_config(), "eu-ns1");
    std::map<std::size_t, int> owned;
    constexpr int prefixes = 30000;
    for (std::uint32_t n = 0; n < prefixes; ++n) ++owned[ring->owner(prefix(n))];
    ASSERT_EQ(owned.size(), 3u);
    for (const auto& [member, count] : owned) {
        EXPECT_NEAR(count, prefixes / 3, prefixes / 3 * 0.05) << ring->member(member).name;
    }
}

TEST(ClusterRing, LeavingOutAServerMovesOnlyItsPrefixes) {
    const auto ring = ring_for(testing::make_config(), "eu-ns1");
    std::size_t down = (ring->self() + 1) % ring->size();
    int moved = 0;
    for (std::uint32_t n = 0; n < 5000; ++n) {
        const auto before = ring->owner(prefix(n));
        const auto after = ring->owner(prefix(n), [&](std::size_t m) { return m != down; });
        EXPECT_NE(after, down);
        if (before != down) {
            EXPECT_EQ(before, after);
        } else {
            ++moved;
        }
    }
    EXPECT_GT(moved, 1000);
    // This server never leaves its own ring, even when everything else is unusable.
    for (std::uint32_t n = 0; n < 100; ++n) {
        EXPECT_EQ(ring->owner(prefix(n), [](std::size_t) { return false; }), ring->self());
    }
}

TEST(ClusterRing, NoRingWhenSharingIsOffOrNotADnsServer) {
    auto config = testing::make_config();
    std::vector<std::string> dropped;
    EXPECT_EQ(cluster::Ring::build(config, "eu-cache1", dropped), nullptr);
    EXPECT_EQ(cluster::Ring::build(config, "nobody", dropped), nullptr);
    config.dns.share_client_state = false;
    EXPECT_EQ(cluster::Ring::build(config, "eu-ns1", dropped), nullptr);
}

TEST(ClusterRing, AcceptsEnvelopesOnlyFromMembers) {
    const auto ring = ring_for(testing::make_config(), "eu-ns1");
    EXPECT_TRUE(ring->member_at(ip("127.0.2.1")).has_value());
    EXPECT_FALSE(ring->member_at(ip("127.0.2.2")).has_value());  // a cache, not a dns server
    EXPECT_FALSE(ring->member_at(ip("198.51.100.1")).has_value());
}

TEST(ClusterEnvelope, RoundTripsQueriesAndAnswers) {
    std::vector<std::uint8_t> message(20, 0xAB);
    for (const auto* client : {"198.51.100.7", "2001:db8::7"}) {
        std::vector<std::uint8_t> datagram(cluster::max_envelope_header_bytes + message.size());
        const auto header = cluster::write_envelope_header(datagram, cluster::EnvelopeKind::query,
                                                           0xDEADBEEF, ip(client));
        ASSERT_GT(header, 0u);
        std::copy(message.begin(), message.end(), datagram.begin() + static_cast<long>(header));
        datagram.resize(header + message.size());
        const auto parsed = cluster::parse_envelope(datagram);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->kind, cluster::EnvelopeKind::query);
        EXPECT_EQ(parsed->tag, 0xDEADBEEFu);
        EXPECT_EQ(parsed->client, ip(client));
        EXPECT_EQ(std::vector<std::uint8_t>(parsed->message.begin(), parsed->message.end()),
                  message);
    }
    std::vector<std::uint8_t> stream(cluster::max_envelope_header_bytes + message.size());
    const auto stream_header = cluster::write_envelope_header(
        stream, cluster::EnvelopeKind::stream_query, 9, ip("192.0.2.9"));
    stream.resize(stream_header + message.size());
    const auto parsed_stream = cluster::parse_envelope(stream);
    ASSERT_TRUE(parsed_stream);
    EXPECT_EQ(parsed_stream->kind, cluster::EnvelopeKind::stream_query);
    EXPECT_EQ(parsed_stream->client, ip("192.0.2.9"));

    std::vector<std::uint8_t> answer(64);
    const auto header =
        cluster::write_envelope_header(answer, cluster::EnvelopeKind::answer, 7, {});
    answer.resize(header + 12);
    const auto parsed = cluster::parse_envelope(answer);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->kind, cluster::EnvelopeKind::answer);
    EXPECT_EQ(parsed->tag, 7u);
    EXPECT_EQ(parsed->message.size(), 12u);
}

TEST(ClusterEnvelope, RejectsEverythingElse) {
    std::vector<std::uint8_t> good(64);
    const auto header =
        cluster::write_envelope_header(good, cluster::EnvelopeKind::query, 1, ip("192.0.2.1"));
    good.resize(header + 12);
    ASSERT_TRUE(cluster::parse_envelope(good));
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        EXPECT_FALSE(cluster::parse_envelope(std::span(good).first(cut))) << cut;  // truncated
    }
    auto bad = good;
    bad[0] = 'X';  // magic
    EXPECT_FALSE(cluster::parse_envelope(bad));
    bad = good;
    bad[4] = 2;  // version
    EXPECT_FALSE(cluster::parse_envelope(bad));
    bad = good;
    bad[5] = 4;  // kind
    EXPECT_FALSE(cluster::parse_envelope(bad));
    bad = good;
    bad[5] = 0;
    EXPECT_FALSE(cluster::parse_envelope(bad));
    bad = good;
    bad[10] = 5;  // family
    EXPECT_FALSE(cluster::parse_envelope(bad));
    bad = good;
    bad[5] = static_cast<std::uint8_t>(cluster::EnvelopeKind::answer);  // an answer names no client
    EXPECT_FALSE(cluster::parse_envelope(bad));
}

report::Key handover_key(char digit = 'a') { return *report::Key::from_hex(std::string(64, digit)); }

TEST(PersistenceHandover, RecordsRoundTripAndPartialOrForgedOnesAreRefused) {
    const std::vector<gslb::PersistenceTable::Held> records{{1, 2, 3, 4}, {0xFFFFFFFFFFFFFFFFULL, 0x0102030405060708ULL, 9, 1'800'000'000'000}};
    const auto key = handover_key();
    std::vector<std::uint8_t> datagram(1300);
    const auto size = cluster::write_handover(datagram, records, key);
    ASSERT_GT(size, 0u);
    datagram.resize(size);
    const auto envelope = cluster::parse_envelope(datagram);
    ASSERT_TRUE(envelope);
    EXPECT_EQ(envelope->kind, cluster::EnvelopeKind::persistence);
    std::vector<gslb::PersistenceTable::Held> read;
    ASSERT_TRUE(cluster::read_handover(envelope->message, key, [&](const auto& held) { read.push_back(held); }));
    ASSERT_EQ(read.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(read[i].domain, records[i].domain);
        EXPECT_EQ(read[i].client_key, records[i].client_key);
        EXPECT_EQ(read[i].candidate, records[i].candidate);
        EXPECT_EQ(read[i].expires_at_ms, records[i].expires_at_ms);
    }
    int calls = 0;
    const auto count = [&](const auto&) { ++calls; };
    EXPECT_FALSE(cluster::read_handover(envelope->message.first(40), key, count)) << "a partial record";
    EXPECT_FALSE(cluster::read_handover(envelope->message, handover_key('b'), count)) << "another network's key";
    auto forged = datagram;
    forged[forged.size() - report::mac_bytes - 1] ^= 1;  // the last record's expiry
    EXPECT_FALSE(cluster::read_handover(cluster::parse_envelope(forged)->message, key, count)) << "a changed record";
    EXPECT_EQ(calls, 0) << "nothing of a refused handover is read";
    std::vector<gslb::PersistenceTable::Held> too_many(cluster::max_handover_records + 1);
    EXPECT_EQ(cluster::write_handover(datagram, too_many, key), 0u);
    std::vector<std::uint8_t> full(1300);
    const auto full_size = cluster::write_handover(full, std::span(too_many).first(cluster::max_handover_records), key);
    EXPECT_GT(full_size, 0u);
    EXPECT_LE(full_size, 1232u);
}

TEST(LatencyHandover, RecordsRoundTripAndPartialOrForgedOnesAreRefused) {
    const std::vector<cluster::LatencyRecord> records{
        {gslb::client_prefix_key(ip("198.51.100.7")), gslb::stable_identity("eu"), 1'800'000'000, 80, 250},
        {0xFFFFFFFFFFFFFFFFULL, 0x0102030405060708ULL, 0xFFFFFFFF, 0xFFFE, gslb::loss_not_measured}};
    const auto key = handover_key();
    std::vector<std::uint8_t> datagram(1300);
    const auto size = cluster::write_latency_handover(datagram, records, key);
    ASSERT_GT(size, 0u);
    datagram.resize(size);
    const auto envelope = cluster::parse_envelope(datagram);
    ASSERT_TRUE(envelope);
    EXPECT_EQ(envelope->kind, cluster::EnvelopeKind::latency);
    std::vector<cluster::LatencyRecord> read;
    ASSERT_TRUE(cluster::read_latency_handover(envelope->message, key, [&](const auto& r) { read.push_back(r); }));
    ASSERT_EQ(read.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(read[i].prefix_key, records[i].prefix_key);
        EXPECT_EQ(read[i].pop, records[i].pop);
        EXPECT_EQ(read[i].measured_at_s, records[i].measured_at_s);
        EXPECT_EQ(read[i].latency_ms, records[i].latency_ms);
        EXPECT_EQ(read[i].loss_permille, records[i].loss_permille);
    }
    int calls = 0;
    const auto count = [&](const auto&) { ++calls; };
    EXPECT_FALSE(cluster::read_latency_handover(envelope->message.first(30), key, count)) << "a partial record";
    EXPECT_FALSE(cluster::read_latency_handover(envelope->message, handover_key('b'), count)) << "another key";
    // Four latency records are as long as three persistence records, and 48 as long as 36: the MAC
    // binds them to their kind, so they cannot be replayed as persistence.
    const std::vector<cluster::LatencyRecord> four(4, records[0]);
    std::vector<std::uint8_t> replayed(1300);
    replayed.resize(cluster::write_latency_handover(replayed, four, key));
    ASSERT_EQ(cluster::parse_envelope(replayed)->message.size() - report::mac_bytes, 3 * cluster::handover_record_bytes);
    EXPECT_FALSE(cluster::read_handover(cluster::parse_envelope(replayed)->message, key, count))
        << "latency records are no persistence records";
    EXPECT_EQ(cluster::max_latency_records * cluster::latency_record_bytes,
              cluster::max_handover_records * cluster::handover_record_bytes);
    auto forged = datagram;
    forged[forged.size() - report::mac_bytes - 1] ^= 1;  // the last record's loss
    EXPECT_FALSE(cluster::read_latency_handover(cluster::parse_envelope(forged)->message, key, count));
    EXPECT_EQ(calls, 0) << "nothing of a refused handover is read";
    std::vector<cluster::LatencyRecord> too_many(cluster::max_latency_records + 1);
    EXPECT_EQ(cluster::write_latency_handover(datagram, too_many, key), 0u);
    std::vector<std::uint8_t> full(1300);
    const auto full_size = cluster::write_latency_handover(full, std::span(too_many).first(cluster::max_latency_records), key);
    EXPECT_GT(full_size, 0u);
    EXPECT_LE(full_size, 1232u);
}

TEST(LatencyTableHandover, AdoptsOnlyMeasurementsNewerThanItsOwn) {
    gslb::LatencyTable table(2, 1024);
    const auto client = gslb::client_prefix_key(ip("198.51.100.0"));
    table.record(client, 0, 40, 1000, 100);
    EXPECT_FALSE(table.adopt(client, {0}, 90, 999, 0)) << "its own newer measurement stands";
    EXPECT_FALSE(table.adopt(client, {0}, 90, 1000, 0)) << "and one as new";
    EXPECT_TRUE(table.adopt(client, {0}, 30, 1001, 0)) << "a newer one replaces it";
    EXPECT_TRUE(table.adopt(client, {1}, 70, 500, 200)) << "a POP it has no measurement from";
    const auto other = gslb::client_prefix_key(ip("203.0.113.0"));
    EXPECT_TRUE(table.adopt(other, {1}, 20, 800, gslb::loss_not_measured))
        << "a prefix it does not know";
    EXPECT_FALSE(table.adopt(other, {2}, 20, 800, 0)) << "no such slot";
    std::uint32_t latency[2];
    std::uint32_t at[2];
    std::uint16_t loss[2];
    ASSERT_TRUE(table.lookup(client, latency, at, loss));
    EXPECT_EQ(latency[0], 30u);
    EXPECT_EQ(at[0], 1001u);
    EXPECT_EQ(loss[0], 0u);
    EXPECT_EQ(latency[1], 70u);
    EXPECT_EQ(loss[1], 200u);
    ASSERT_TRUE(table.lookup(other, latency, at, loss));
    EXPECT_EQ(latency[0], UINT32_MAX);
    EXPECT_EQ(latency[1], 20u);
    EXPECT_EQ(loss[1], gslb::loss_not_measured);
    std::map<std::pair<std::uint64_t, std::size_t>, std::uint32_t> recent;
    table.for_each_measured(800, [&](const gslb::LatencyTable::Measurement& m) {
        recent[{m.prefix_key, m.pop_index}] = m.latency_ms;
    });
    EXPECT_EQ(recent, (std::map<std::pair<std::uint64_t, std::size_t>, std::uint32_t>{{{client, 0}, 30}, {{other, 1}, 20}}))
        << "measurements before 800 are left out";
}

TEST(LatencyHandover, ReceiversFindEachPopsSlotByItsName) {
    std::vector<std::string> errors;
    const auto config = std::make_shared<const config::Config>(testing::make_config());
    ASSERT_GE(config->pops.size(), 2u);
    auto state = std::make_shared<server::ServingState>(*server::ServingState::build(config, 1, errors));
    const auto first = gslb::stable_identity(config->pops[0].name);
    const auto second = gslb::stable_identity(config->pops[1].name);
    EXPECT_EQ(state->latency_claim_of(first).slot, 0u) << "no slot map: the position";
    EXPECT_EQ(state->latency_claim_of(second).slot, 1u);
    EXPECT_EQ(state->latency_claim_of(gslb::stable_identity("elsewhere")).slot,
              gslb::no_latency_slot);
    state->latency_slots.assign(config->pops.size(), gslb::no_latency_slot);
    state->latency_slots[0] = 5;
    EXPECT_EQ(state->latency_claim_of(first).slot, 5u);
    EXPECT_EQ(state->latency_claim_of(second).slot, gslb::no_latency_slot)
        << "a POP left without a slot";
}

TEST(PersistenceHandover, DueOnlyWhenTheMembersChange) {
    auto config = testing::make_config();
    const auto three = ring_for(config, "eu-ns1");
    EXPECT_FALSE(cluster::ownership_moved(three.get(), three.get()));
    EXPECT_FALSE(cluster::ownership_moved(three.get(), ring_for(config, "eu-ns1").get())) << "a reload of the same servers";
    EXPECT_FALSE(cluster::ownership_moved(three.get(), nullptr)) << "sharing turned off: nobody to hand to";
    EXPECT_TRUE(cluster::ownership_moved(nullptr, three.get())) << "sharing turned on";
    config.pops.pop_back();  // a DNS server fewer
    const auto two = ring_for(config, "eu-ns1");
    ASSERT_EQ(two->size(), 2u);
    EXPECT_TRUE(cluster::ownership_moved(three.get(), two.get()));
    EXPECT_TRUE(cluster::ownership_moved(two.get(), three.get()));
    EXPECT_TRUE(cluster::same_members(three.get(), ring_for(testing::make_config(), "us-ns1").get()))
        << "the same servers seen from another member";
    EXPECT_FALSE(cluster::same_members(three.get(), two.get()));
    EXPECT_FALSE(cluster::same_members(nullptr, two.get()));
    EXPECT_TRUE(cluster::same_members(nullptr, nullptr));
}

TEST(PersistenceTableHandover, AdoptsOnlyWhatItHasNotDecidedItself) {
    gslb::PersistenceTable table(1024);
    const std::int64_t now = 1'000'000;
    table.remember(7, 100, 1, now + 60'000, now);
    EXPECT_FALSE(table.adopt(7, 100, 2, now + 90'000, now)) << "its own live decision stands";
    EXPECT_EQ(table.lookup(7, 100, now), 1u);
    EXPECT_TRUE(table.adopt(7, 101, 2, now + 90'000, now));
    EXPECT_EQ(table.lookup(7, 101, now), 2u);
    EXPECT_FALSE(table.adopt(7, 102, 2, now - 1, now)) << "an expired entry is not taken";
    EXPECT_FALSE(table.lookup(7, 102, now));
    table.remember(8, 103, 4, now + 10, now);  // expires before `later`
    const std::int64_t later = now + 20;
    EXPECT_TRUE(table.adopt(8, 103, 5, later + 60'000, later)) << "an expired own entry is replaced";
    std::map<std::uint64_t, std::uint64_t> live;
    table.for_each_live(later, [&](const gslb::PersistenceTable::Held& held) { live[held.client_key] = held.candidate; });
    EXPECT_EQ(live, (std::map<std::uint64_t, std::uint64_t>{{100, 1}, {101, 2}, {103, 5}}));
    // A handed-over window longer than any configuration could set is cut to the longest one.
    EXPECT_TRUE(table.adopt(9, 104, 6, std::numeric_limits<std::int64_t>::max(), now));
    EXPECT_EQ(table.lookup(9, 104, now + gslb::PersistenceTable::longest_window_ms - 1), 6u);
    EXPECT_FALSE(table.lookup(9, 104, now + gslb::PersistenceTable::longest_window_ms));
}

TEST(PersistenceTableSize, CountsLiveWindowsCutShortForLackOfRoom) {
    gslb::PersistenceTable table(64);  // the smallest: 16 probe windows of 4
    ASSERT_EQ(table.capacity(), 64u);
    const std::int64_t now = 1'000'000;
    for (std::uint64_t client = 1; client <= 1000; ++client) table.remember(7, client, 1, now + 60'000, now);
    std::size_t live = 0;
    table.for_each_live(now, [&](const gslb::PersistenceTable::Held&) { ++live; });
    EXPECT_EQ(live, 64u);
    EXPECT_EQ(table.evictions(), 1000u - 64u) << "every client beyond the table's room ended a live window";
    table.remember(7, 1000, 2, now + 60'000, now);  // the same client and name again: its own entry
    EXPECT_EQ(table.evictions(), 1000u - 64u);
    EXPECT_TRUE(table.adopt(9, 6000, 1, now + 60'000, now));
    EXPECT_EQ(table.evictions(), 1000u - 64u + 1u) << "a handover that needs room counts like a decision";
    const auto evicted = table.evictions();
    // Once their windows are over, entries are room again, not evictions (4 entries fit in any
    // one probe window, wherever they hash).
    const std::int64_t later = now + 60'000;
    for (std::uint64_t client = 2000; client < 2004; ++client) table.remember(8, client, 1, later + 60'000, later);
    EXPECT_TRUE(table.adopt(9, 5000, 1, later + 120'000, later + 60'000));
    EXPECT_EQ(table.evictions(), evicted);
    EXPECT_LE(table.memory_bytes(), 64 * 32 + sizeof(table));
}

// Loopback sockets standing in for the owner and for the client.
class ForwarderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        owner_fd_ = bound_socket("127.0.2.1", 0);
        client_fd_ = bound_socket("127.0.9.9", 0);
        listen_fd_ = bound_socket("127.0.1.1", 0);
        config_ = testing::make_config();
        config_.ports.dns_cluster = port_of(owner_fd_);
        config_.dns.forward_timeout_ms = 40;
        ring_ = ring_for(config_, "eu-ns1");
        for (std::size_t i = 0; i < ring_->size(); ++i) {
            if (ring_->member(i).name == "us-ns1") us_ = i;
        }
        for (std::uint32_t n = 0; owned_by_us_.size() < 8; ++n) {
            if (ring_->owner(prefix(n)) == us_) owned_by_us_.push_back(n);
        }
        client_length_ = ip("127.0.9.9").to_sockaddr(port_of(client_fd_), client_address_);
    }
    void TearDown() override {
        for (const int fd : {owner_fd_, client_fd_, listen_fd_}) ::close(fd);
    }

    static int bound_socket(const char* address, std::uint16_t port) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_storage storage{};
        const auto length = ip(address).to_sockaddr(port, storage);
        EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length), 0);
        return fd;
    }
    static std::uint16_t port_of(int fd) {
        sockaddr_in address{};
        socklen_t length = sizeof(address);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        return ntohs(address.sin_port);
    }
    static std::vector<std::uint8_t> receive(int fd, sockaddr_storage* from = nullptr,
                                             int timeout_ms = 1000) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) return {};
        std::vector<std::uint8_t> buffer(4096);
        sockaddr_storage source{};
        socklen_t length = sizeof(source);
        const auto n = ::recvfrom(fd, buffer.data(), buffer.size(), 0,
                                  reinterpret_cast<sockaddr*>(&source), &length);
        if (from != nullptr) *from = source;
        buffer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return buffer;
    }
    static std::vector<std::uint8_t> query(std::uint8_t id) {
        std::vector<std::uint8_t> q(17, 0);
        q[0] = 0x12;
        q[1] = id;
        return q;
    }
    net::IpAddress client(std::size_t i) const {
        const auto n = owned_by_us_[i];
        return net::IpAddress::v4({static_cast<std::uint8_t>(10 + (n >> 16)),
                                   static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n),
                                   1});
    }

    int owner_fd_ = -1, client_fd_ = -1, listen_fd_ = -1;
    config::Config config_;
    std::shared_ptr<const cluster::Ring> ring_;
    std::size_t us_ = 0;
    std::vector<std::uint32_t> owned_by_us_;
    sockaddr_storage client_address_{};
    socklen_t client_length_ = 0;
};

TEST_F(ForwarderTest, ForwardsToTheOwnerAndRelaysItsAnswer) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    const auto q = query(1);
    ASSERT_TRUE(forwarder.forward(*ring_, us_, q, client(0), listen_fd_, client_address_,
                                  client_length_, 1000));
    forwarder.flush();

    sockaddr_storage from{};
    const auto datagram = receive(owner_fd_, &from);
    const auto envelope = cluster::parse_envelope(datagram);
    ASSERT_TRUE(envelope);
    EXPECT_EQ(envelope->client, client(0));
    EXPECT_EQ(std::vector<std::uint8_t>(envelope->message.begin(), envelope->message.end()), q);

    auto answer = q;
    answer[2] = 0x84;  // QR|AA: what the owner would say
    std::vector<std::uint8_t> reply(64);
    const auto header =
        cluster::write_envelope_header(reply, cluster::EnvelopeKind::answer, envelope->tag, {});
    std::copy(answer.begin(), answer.end(), reply.begin() + static_cast<long>(header));
    reply.resize(header + answer.size());
    ::sendto(owner_fd_, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from),
             sizeof(sockaddr_in));
    pollfd p{forwarder.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    forwarder.relay_answers();
    EXPECT_EQ(receive(client_fd_), answer);
    EXPECT_EQ(forwarder.counters().relayed.load(), 1u);

    // The same answer again matches nothing any more.
    ::sendto(owner_fd_, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from),
             sizeof(sockaddr_in));
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    forwarder.relay_answers();
    EXPECT_EQ(forwarder.counters().stray.load(), 1u);
    EXPECT_TRUE(receive(client_fd_, nullptr, 50).empty());
}

// What the TCP server does with a relayed answer: keeps it with its connection.
struct RecordingSink final : cluster::AnswerSink {
    void deliver(const cluster::WaitingQuery& waiting, std::span<const std::uint8_t> answer) override {
        connection_ids.push_back(waiting.connection_id);
        reply_fds.push_back(waiting.reply_fd);
        answers.emplace_back(answer.begin(), answer.end());
    }
    std::vector<std::uint64_t> connection_ids;
    std::vector<int> reply_fds;
    std::vector<std::vector<std::uint8_t>> answers;
};

TEST_F(ForwarderTest, StreamQueriesGoAsStreamEnvelopesAndTheirAnswersToTheSink) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    const auto q = query(5);
    ASSERT_TRUE(forwarder.forward_stream(*ring_, us_, q, client(0), 42, 7001, 1000));
    forwarder.flush();
    sockaddr_storage from{};
    const auto envelope = cluster::parse_envelope(receive(owner_fd_, &from));
    ASSERT_TRUE(envelope);
    EXPECT_EQ(envelope->kind, cluster::EnvelopeKind::stream_query);
    EXPECT_EQ(envelope->client, client(0));

    auto answer = q;
    answer[2] = 0x84;
    std::vector<std::uint8_t> reply(64);
    const auto header =
        cluster::write_envelope_header(reply, cluster::EnvelopeKind::answer, envelope->tag, {});
    std::copy(answer.begin(), answer.end(), reply.begin() + static_cast<long>(header));
    reply.resize(header + answer.size());
    ::sendto(owner_fd_, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from),
             sizeof(sockaddr_in));
    pollfd p{forwarder.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    RecordingSink sink;
    forwarder.relay_answers(sink);
    ASSERT_EQ(sink.answers.size(), 1u);
    EXPECT_EQ(sink.answers[0], answer);
    EXPECT_EQ(sink.connection_ids[0], 7001u);
    EXPECT_EQ(sink.reply_fds[0], 42);
    EXPECT_EQ(forwarder.counters().relayed.load(), 1u);
}

TEST_F(ForwarderTest, AQueryForwardedWhileExpiringKeepsItsDeadline) {
    // A TCP connection's next pipelined query may be forwarded from inside expire(): it must
    // still time out when its own deadline comes.
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    ASSERT_TRUE(forwarder.forward_stream(*ring_, us_, query(20), client(0), 42, 1, 1000));
    forwarder.flush();
    int expired = 0;
    forwarder.expire(1040, [&](const cluster::WaitingQuery&) {
        ++expired;
        EXPECT_TRUE(forwarder.forward_stream(*ring_, us_, query(21), client(1), 42, 1, 1040));
    });
    forwarder.flush();
    EXPECT_EQ(expired, 1);
    EXPECT_EQ(forwarder.next_deadline_ms(), 1080);
    forwarder.expire(1080, [&](const cluster::WaitingQuery& e) {
        ++expired;
        EXPECT_EQ(e.query[1], 21);
    });
    EXPECT_EQ(expired, 2);
}

TEST_F(ForwarderTest, PersistenceOfClientsAnotherServerOwnsIsHandedToIt) {
    gslb::PersistenceTable table(4096);
    const std::int64_t now = 5'000'000;
    std::map<std::uint64_t, std::uint64_t> theirs;
    std::size_t ours = 0;
    for (std::uint32_t n = 0; n < 300; ++n) {
        const auto key = prefix(n);
        table.remember(42, key, n, now + 60'000, now);
        if (ring_->owner(key) == us_) theirs[key] = n;
        if (ring_->owner(key) == ring_->self()) ++ours;
    }
    table.remember(42, prefix(owned_by_us_[0] + 0), 999, now - 1, now);  // expired: not sent
    theirs.erase(prefix(owned_by_us_[0]));
    ASSERT_GT(theirs.size(), cluster::max_handover_records) << "more than one datagram's worth";
    ASSERT_GT(ours, 0u);
    const auto result = cluster::hand_over(*ring_, {&table}, now);
    EXPECT_EQ(result.failed, 0u);
    std::map<std::uint64_t, std::uint64_t> received;
    while (true) {
        sockaddr_storage from{};
        const auto datagram = receive(owner_fd_, &from, 200);
        if (datagram.empty()) break;
        EXPECT_EQ(net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&from)), ring_->member(ring_->self()).address)
            << "sent from the server's own address: owners accept ring members only";
        const auto envelope = cluster::parse_envelope(datagram);
        ASSERT_TRUE(envelope);
        ASSERT_TRUE(cluster::read_handover(envelope->message, *ring_->key(), [&](const gslb::PersistenceTable::Held& held) {
            EXPECT_EQ(held.domain, 42u);
            EXPECT_EQ(held.expires_at_ms, now + 60'000);
            received[held.client_key] = held.candidate;
        }));
    }
    EXPECT_EQ(received, theirs);
    EXPECT_GE(result.persistence_entries, theirs.size()) << "the third member's share was sent too";
    EXPECT_LT(result.persistence_entries, 300u - ours + 1);
}

TEST_F(ForwarderTest, LatencyOfClientsAnotherServerOwnsIsHandedToIt) {
    gslb::LatencyTable table(3, 4096);
    const std::uint32_t now_s = 5'000;
    // Slot 0 holds "eu", slot 1 nobody (a POP removed), slot 2 "us".
    cluster::ClientStateView source{nullptr, &table, {gslb::stable_identity("eu"), 0, gslb::stable_identity("us")}, now_s - 60};
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t> theirs;
    for (std::uint32_t n = 0; n < 300; ++n) {
        const auto key = prefix(n);
        table.record(key, 0, 10 + n % 50, now_s);
        table.record(key, 1, 99, now_s);  // no POP in the slot: not sent
        table.record(key, 2, 20 + n % 50, n % 10 == 0 ? now_s - 61 : now_s);  // stale: not sent
        if (ring_->owner(key) != us_) continue;
        theirs[{key, gslb::stable_identity("eu")}] = 10 + n % 50;
        if (n % 10 != 0) theirs[{key, gslb::stable_identity("us")}] = 20 + n % 50;
    }
    ASSERT_GT(theirs.size(), cluster::max_latency_records) << "more than one datagram's worth";
    const auto result = cluster::hand_over(*ring_, source, now_s * std::int64_t{1000});
    EXPECT_EQ(result.failed, 0u);
    EXPECT_EQ(result.persistence_entries, 0u);
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t> received;
    while (true) {
        const auto datagram = receive(owner_fd_, nullptr, 200);
        if (datagram.empty()) break;
        const auto envelope = cluster::parse_envelope(datagram);
        ASSERT_TRUE(envelope);
        ASSERT_TRUE(cluster::read_latency_handover(envelope->message, *ring_->key(), [&](const cluster::LatencyRecord& r) {
            EXPECT_EQ(r.measured_at_s, now_s);
            received[{r.prefix_key, r.pop}] = r.latency_ms;
        }));
    }
    EXPECT_EQ(received, theirs);
    EXPECT_GE(result.latency_entries, theirs.size()) << "the third member's share was sent too";
}

TEST_F(ForwarderTest, ARemovedServerHandsEveryEntryOverFromItsOwnAddress) {
    gslb::PersistenceTable table(4096);
    const std::int64_t now = 5'000'000;
    std::map<std::uint64_t, std::uint64_t> theirs;
    for (std::uint32_t n = 0; n < 200; ++n) {
        table.remember(42, prefix(n), n, now + 60'000, now);
        if (ring_->owner(prefix(n)) == us_) theirs[prefix(n)] = n;
    }
    // `ring_` stands for the remaining servers; the departing one is none of them.
    const auto departing = ip("127.0.9.9");
    const auto result = cluster::hand_over_departing(*ring_, departing, {&table}, now);
    EXPECT_EQ(result.failed, 0u);
    EXPECT_EQ(result.persistence_entries, 200u) << "every live entry, the ring's self's share included";
    std::map<std::uint64_t, std::uint64_t> received;
    while (true) {
        sockaddr_storage from{};
        const auto datagram = receive(owner_fd_, &from, 200);
        if (datagram.empty()) break;
        EXPECT_EQ(net::IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&from)), departing);
        const auto envelope = cluster::parse_envelope(datagram);
        ASSERT_TRUE(envelope);
        ASSERT_TRUE(cluster::read_handover(envelope->message, *ring_->key(), [&](const gslb::PersistenceTable::Held& held) {
            received[held.client_key] = held.candidate;
        }));
    }
    EXPECT_EQ(received, theirs);
}

TEST_F(ForwarderTest, AnAnswerFromSomeoneElseIsIgnored) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    const auto q = query(2);
    ASSERT_TRUE(forwarder.forward(*ring_, us_, q, client(0), listen_fd_, client_address_,
                                  client_length_, 1000));
    forwarder.flush();
    sockaddr_storage from{};
    const auto envelope = cluster::parse_envelope(receive(owner_fd_, &from));
    ASSERT_TRUE(envelope);
    const int impostor = bound_socket("127.0.3.7", 0);
    std::vector<std::uint8_t> reply(64);
    const auto header =
        cluster::write_envelope_header(reply, cluster::EnvelopeKind::answer, envelope->tag, {});
    std::copy(q.begin(), q.end(), reply.begin() + static_cast<long>(header));
    reply.resize(header + q.size());
    ::sendto(impostor, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from),
             sizeof(sockaddr_in));
    pollfd p{forwarder.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    forwarder.relay_answers();
    ::close(impostor);
    EXPECT_EQ(forwarder.counters().stray.load(), 1u);
    EXPECT_TRUE(receive(client_fd_, nullptr, 50).empty());
}

TEST_F(ForwarderTest, SilentOwnerTimesOutAndIsSuspendedAfterThreeMisses) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    std::int64_t now = 1000;
    for (int miss = 0; miss < 3; ++miss) {
        EXPECT_TRUE(forwarder.usable(*ring_, us_, now));
        const auto q = query(static_cast<std::uint8_t>(10 + miss));
        ASSERT_TRUE(forwarder.forward(*ring_, us_, q, client(static_cast<std::size_t>(miss)),
                                      listen_fd_, client_address_, client_length_, now));
        forwarder.flush();
        int expired = 0;
        forwarder.expire(now + 39, [&](const cluster::WaitingQuery&) { ++expired; });
        EXPECT_EQ(expired, 0);  // not yet due
        forwarder.expire(now + 40, [&](const cluster::WaitingQuery& e) {
            ++expired;
            EXPECT_EQ(std::vector<std::uint8_t>(e.query.begin(), e.query.end()), q);
            EXPECT_EQ(e.client, client(static_cast<std::size_t>(miss)));
            EXPECT_EQ(e.reply_fd, listen_fd_);
        });
        EXPECT_EQ(expired, 1);
        now += 100;
    }
    EXPECT_EQ(forwarder.counters().timeouts.load(), 3u);
    EXPECT_FALSE(forwarder.usable(*ring_, us_, now));
    EXPECT_EQ(forwarder.counters().suspended.load(), 1u);
    // Its prefixes go to their second choice meanwhile, and come back after the suspension.
    const auto owner = ring_->owner(
        prefix(owned_by_us_[0]), [&](std::size_t m) { return forwarder.usable(*ring_, m, now); });
    EXPECT_NE(owner, us_);
    EXPECT_TRUE(forwarder.usable(*ring_, us_, now + cluster::Forwarder::suspend_ms));
}

// A query the kernel will not send to its owner (here: the cluster port is 0, EINVAL) is answered
// locally at the next expire(), not after the forward timeout, and the queries queued after it
// still leave.
TEST_F(ForwarderTest, AQueryTheKernelRefusesIsDueAtOnceAndTheRestStillLeave) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    auto unreachable = config_;
    unreachable.ports.dns_cluster = 0;
    const auto refusing = ring_for(unreachable, "eu-ns1");
    const std::int64_t now = 1000;
    ASSERT_TRUE(forwarder.forward(*ring_, us_, query(1), client(0), listen_fd_, client_address_,
                                  client_length_, now));
    ASSERT_TRUE(forwarder.forward(*refusing, us_, query(2), client(1), listen_fd_, client_address_,
                                  client_length_, now));
    ASSERT_TRUE(forwarder.forward(*ring_, us_, query(3), client(2), listen_fd_, client_address_,
                                  client_length_, now));
    forwarder.flush();
    EXPECT_EQ(forwarder.counters().refused.load(), 1u);
    EXPECT_EQ(forwarder.counters().forwarded.load(), 3u);
    const auto first_datagram = receive(owner_fd_);
    const auto third_datagram = receive(owner_fd_);
    const auto first = cluster::parse_envelope(first_datagram);
    const auto third = cluster::parse_envelope(third_datagram);
    ASSERT_TRUE(first);
    ASSERT_TRUE(third);
    EXPECT_EQ(first->message[1], 1);
    EXPECT_EQ(third->message[1], 3) << "the query after the refused one still went";

    EXPECT_LE(forwarder.next_deadline_ms(), now);
    std::vector<std::uint8_t> answered_locally;
    forwarder.expire(now, [&](const cluster::WaitingQuery& e) {
        answered_locally.push_back(e.query[1]);
        EXPECT_EQ(e.client, client(1));
    });
    EXPECT_EQ(answered_locally, (std::vector<std::uint8_t>{2}))
        << "due at once, the others still wait";
    EXPECT_EQ(forwarder.counters().timeouts.load(), 0u) << "refused, not timed out";
    forwarder.expire(
        now + 40, [&](const cluster::WaitingQuery& e) { answered_locally.push_back(e.query[1]); });
    EXPECT_EQ(answered_locally.size(), 3u);
    EXPECT_EQ(forwarder.counters().timeouts.load(), 2u);
}

TEST_F(ForwarderTest, RefusesWhatItCannotHold) {
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    const std::vector<std::uint8_t> huge(cluster::Forwarder::max_query_bytes + 1, 0);
    EXPECT_FALSE(forwarder.forward(*ring_, us_, huge, client(0), listen_fd_, client_address_,
                                   client_length_, 0));
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < cluster::Forwarder::slot_count + 10; ++i) {
        if (forwarder.forward(*ring_, us_, query(1), client(0), listen_fd_, client_address_,
                              client_length_, 0)) {
            ++accepted;
        }
        forwarder.flush();
    }
    EXPECT_EQ(accepted, cluster::Forwarder::slot_count);
    EXPECT_EQ(forwarder.counters().busy.load(), 11u);
}

TEST(ClusterHandler, OnlyGslbNamesOfOtherOwnersAreForwarded) {
    auto config = std::make_shared<config::Config>(testing::make_config());
    std::vector<std::string> errors;
    auto serving = server::ServingState::build(config, 1, errors, "eu-ns1");
    ASSERT_TRUE(serving && serving->ring);
    server::SharedState shared(serving);
    server::QueryHandler handler(shared, 42);
    cluster::Forwarder forwarder(ip("127.0.1.1"));
    const auto make_query = [](std::string_view name) {
        std::vector<std::uint8_t> q{0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
        std::size_t start = 0;
        while (start < name.size()) {
            const auto dot = name.find('.', start);
            const auto label = name.substr(
                start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
            q.push_back(static_cast<std::uint8_t>(label.size()));
            q.insert(q.end(), label.begin(), label.end());
            if (dot == std::string_view::npos) break;
            start = dot + 1;
        }
        q.insert(q.end(), {0, 0, 1, 0, 1});  // root, A, IN
        return q;
    };
    std::vector<std::uint8_t> out(4096);
    server::QueryInfo info;
    int forwarded = 0, answered = 0;
    for (std::uint32_t n = 0; n < 300; ++n) {
        const auto client = net::IpAddress::v4(
            {10, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), 1});
        const bool mine =
            serving->ring->owner(gslb::client_prefix_key(client)) == serving->ring->self();
        const auto size = handler.handle(make_query("www.acme.example"), client,
                                         server::Transport::udp, out, 1000, info, &forwarder);
        if (mine) {
            EXPECT_GT(size, 0u);
            EXPECT_EQ(info.forward_to, -1);
            ++answered;
        } else {
            EXPECT_EQ(size, 0u);
            EXPECT_EQ(info.forward_to,
                      static_cast<int>(serving->ring->owner(gslb::client_prefix_key(client))));
            ++forwarded;
        }
        // Static records are the same everywhere: always answered here.
        EXPECT_GT(handler.handle(make_query("mail.acme.example"), client, server::Transport::udp,
                                 out, 1000, info, &forwarder),
                  0u);
        EXPECT_EQ(info.forward_to, -1);
        // Without a forwarder (TCP, forwarded queries, timeouts) every query is answered here.
        EXPECT_GT(handler.handle(make_query("www.acme.example"), client, server::Transport::udp,
                                 out, 1000, info),
                  0u);
    }
    EXPECT_GT(forwarded, 100);
    EXPECT_GT(answered, 50);
}

}  // namespace
}  // namespace udn::dns
