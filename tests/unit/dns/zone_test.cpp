// Building zones from the configuration and the authoritative answers the query handler gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "dns/server/query_handler.hpp"
#include "dns/wire/message.hpp"
#include "dns/wire/types.hpp"
#include "test_config.hpp"

namespace udn::dns::server {
namespace {

using testing::ip;
namespace rr_type = wire::rr_type;

std::vector<std::uint8_t> make_query(std::string_view name, std::uint16_t type, std::uint16_t edns_size = 0,
                                     std::uint16_t qclass = wire::class_in) {
    std::vector<std::uint8_t> out = {0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns_size ? std::uint8_t{1} : std::uint8_t{0}};
    const auto qname = *wire::Name::from_text(name);
    out.insert(out.end(), qname.wire().begin(), qname.wire().end());
    for (const std::uint16_t v : {type, qclass}) {
        out.push_back(static_cast<std::uint8_t>(v >> 8));
        out.push_back(static_cast<std::uint8_t>(v));
    }
    if (edns_size) {
        const std::uint8_t opt[] = {0, 0, 41, static_cast<std::uint8_t>(edns_size >> 8),
                                    static_cast<std::uint8_t>(edns_size), 0, 0, 0, 0, 0, 0};
        out.insert(out.end(), std::begin(opt), std::end(opt));
    }
    return out;
}

class ZoneAnswers : public ::testing::Test {
protected:
    ZoneAnswers() {
        std::vector<std::string> errors;
        auto state = ServingState::build(std::make_shared<config::Config>(testing::make_config()), 1, errors);
        EXPECT_TRUE(state) << (errors.empty() ? "" : errors.front());
        shared_ = std::make_unique<SharedState>(state, SharedStateSettings{1024, 8, 1024});
        handler_ = std::make_unique<QueryHandler>(*shared_, 42);
    }

    wire::Message ask(std::string_view name, std::uint16_t type, Transport transport = Transport::udp,
                      std::uint16_t edns_size = 0, std::uint16_t qclass = wire::class_in) {
        const auto query = make_query(name, type, edns_size, qclass);
        std::vector<std::uint8_t> out(response_buffer_bytes);
        QueryInfo info;
        const auto size = handler_->handle(query, ip("127.0.0.1"), transport, out, 1'000'000, info);
        EXPECT_GT(size, 0u);
        std::string error;
        auto message = wire::parse_message({out.data(), size}, &error);
        EXPECT_TRUE(message) << error;
        return message ? *message : wire::Message{};
    }

    std::unique_ptr<SharedState> shared_;
    std::unique_ptr<QueryHandler> handler_;
};

TEST(ZoneSetBuild, ReportsRecordsOutsideOurZones) {
    auto c = testing::make_config();
    config::Record r;
    r.name = "www.elsewhere.example";
    r.type = "A";
    r.value = "192.0.2.1";
    r.line = 42;
    c.records.push_back(r);
    config::Record bad;
    bad.name = "x.udn.example";
    bad.type = "A";
    bad.value = "not-an-ip";
    c.records.push_back(bad);
    std::vector<std::string> errors;
    EXPECT_FALSE(zone::ZoneSet::build(c, errors));
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("line 42"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("outside every zone"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("IPv4"), std::string::npos) << errors[1];
}

TEST(ZoneSetBuild, RejectsCnameBesideOtherData) {
    auto c = testing::make_config();
    config::Record r;
    r.name = "www.acme.example";
    r.type = "CNAME";
    r.value = "x.acme.example";
    c.customers[0].records.push_back(r);
    std::vector<std::string> errors;
    EXPECT_FALSE(zone::ZoneSet::build(c, errors));
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].find("CNAME"), std::string::npos);
}

TEST_F(ZoneAnswers, ApexSoaAndNs) {
    const auto soa = ask("udn.example", rr_type::soa);
    EXPECT_TRUE(soa.has_flag(wire::flag::aa));
    EXPECT_FALSE(soa.has_flag(wire::flag::ra));
    ASSERT_EQ(soa.answer.size(), 1u);
    EXPECT_EQ(soa.answer[0].names[0].to_text(), "eu-ns1.udn.example.");
    EXPECT_EQ(soa.answer[0].names[1].to_text(), "hostmaster.udn.example.");
    const auto ns = ask("acme.example", rr_type::ns);
    ASSERT_EQ(ns.answer.size(), 3u);
    EXPECT_EQ(ns.answer[1].names[0].to_text(), "us-ns1.udn.example.");
    EXPECT_EQ(ns.additional.size(), 3u);  // glue for the three name servers
}

TEST_F(ZoneAnswers, ServerAndServiceNames) {
    const auto server = ask("eu-cache1.udn.example", rr_type::aaaa);
    ASSERT_EQ(server.answer.size(), 1u);
    const auto log = ask("log.udn.example", rr_type::a);
    ASSERT_EQ(log.answer.size(), 1u);
    EXPECT_EQ(log.answer[0].rdata, (std::vector<std::uint8_t>{127, 0, 1, 3}));
    const auto configd = ask("configd.udn.example", rr_type::a);
    EXPECT_EQ(configd.answer.size(), 3u);
}

TEST_F(ZoneAnswers, NxdomainNodataRefused) {
    const auto nx = ask("nope.acme.example", rr_type::a);
    EXPECT_EQ(nx.rcode(), wire::rcode::nxdomain);
    EXPECT_TRUE(nx.has_flag(wire::flag::aa));
    ASSERT_EQ(nx.authority.size(), 1u);
    EXPECT_EQ(nx.authority[0].type, rr_type::soa);
    EXPECT_EQ(nx.authority[0].ttl_s, 60u);
    const auto nodata = ask("mail.acme.example", rr_type::aaaa);
    EXPECT_EQ(nodata.rcode(), wire::rcode::noerror);
    EXPECT_TRUE(nodata.answer.empty());
    ASSERT_EQ(nodata.authority.size(), 1u);
    const auto empty_non_terminal = ask("sub.acme.example", rr_type::a);
    EXPECT_EQ(empty_non_terminal.rcode(), wire::rcode::noerror);
    const auto refused = ask("www.example.org", rr_type::a);
    EXPECT_EQ(refused.rcode(), wire::rcode::refused);
    EXPECT_FALSE(refused.has_flag(wire::flag::aa));
    const auto chaos = ask("acme.example", rr_type::txt, Transport::udp, 0, 3);
    EXPECT_EQ(chaos.rcode(), wire::rcode::refused);
    const auto axfr = ask("acme.example", rr_type::axfr, Transport::tcp);
    EXPECT_EQ(axfr.rcode(), wire::rcode::refused);
}

// A name found by its own hash answers from its node's zone: with a customer zone inside the
// network's, a name of the inner zone gets the inner zone's SOA, one of the outer the outer's.
TEST(ZoneSetBuild, NodesBelongToTheLongestApex) {
    auto config = testing::make_config();
    config.customers[0].zones.push_back("shop.udn.example");
    config::Record inner;
    inner.name = "www.shop.udn.example";
    inner.type = "TXT";
    inner.value = "\"inner\"";
    inner.ttl_s = 300;
    config.customers[0].records.push_back(inner);
    std::vector<std::string> errors;
    auto state = ServingState::build(std::make_shared<config::Config>(config), 1, errors);
    ASSERT_TRUE(state) << (errors.empty() ? "" : errors.front());
    SharedState shared(state, SharedStateSettings{1024, 8, 1024});
    QueryHandler handler(shared, 7);
    const auto soa_owner = [&](std::string_view name) {
        const auto query = make_query(name, rr_type::aaaa);
        std::vector<std::uint8_t> out(response_buffer_bytes);
        QueryInfo info;
        const auto size = handler.handle(query, ip("127.0.0.1"), Transport::udp, out, 1'000'000, info);
        auto message = wire::parse_message({out.data(), size}, nullptr);
        if (!message || message->authority.size() != 1 || message->authority[0].type != rr_type::soa) return std::string("?");
        return message->authority[0].owner.to_text();
    };
    EXPECT_EQ(soa_owner("www.shop.udn.example"), "shop.udn.example.");  // a node: NODATA
    EXPECT_EQ(soa_owner("shop.udn.example"), "shop.udn.example.");
    EXPECT_EQ(soa_owner("nope.shop.udn.example"), "shop.udn.example.");  // no node: NXDOMAIN
    EXPECT_EQ(soa_owner("udn.example"), "udn.example.");
}

TEST_F(ZoneAnswers, CaseIsPreservedInTheAnswer) {
    const auto m = ask("MaIl.AcMe.ExAmPlE", rr_type::a);
    ASSERT_EQ(m.answer.size(), 1u);
    EXPECT_EQ(m.answer[0].owner.to_text(), "MaIl.AcMe.ExAmPlE.");
}

TEST_F(ZoneAnswers, AQuestionThatNamesANodeCarriesItsLogTextAndOthersDoNot) {
    // The query log copies this text instead of formatting the name: it must be the question's
    // name exactly as the log writes it (lower case, no trailing dot), and only for a node.
    const auto log_text = [&](std::string_view name) {
        const auto query = make_query(name, rr_type::a);
        std::vector<std::uint8_t> out(response_buffer_bytes);
        QueryInfo info;
        handler_->handle(query, ip("127.0.0.1"), Transport::udp, out, 1'000'000, info);
        const auto expected = *wire::Name::from_text(name);
        std::array<char, wire::Name::max_text_bytes> formatted{};
        if (!info.qname_log_text.empty()) {
            EXPECT_EQ(info.qname_log_text,
                      std::string_view(formatted.data(), expected.write_lowered_text(formatted.data())));
        }
        return std::string(info.qname_log_text);
    };
    EXPECT_EQ(log_text("MaIl.AcMe.ExAmPlE"), "mail.acme.example");
    EXPECT_EQ(log_text("acme.example"), "acme.example");
    EXPECT_EQ(log_text("nope.acme.example"), "");      // NXDOMAIN: no node
    EXPECT_EQ(log_text("www.elsewhere.example"), "");  // REFUSED
}

TEST_F(ZoneAnswers, CnameChainsIntoGslbName) {
    const auto m = ask("alias.acme.example", rr_type::a);
    ASSERT_EQ(m.answer.size(), 2u);
    EXPECT_EQ(m.answer[0].type, rr_type::cname);
    EXPECT_EQ(m.answer[1].type, rr_type::a);
    EXPECT_EQ(m.answer[1].ttl_s, 20u);
    const auto outside = ask("outside.acme.example", rr_type::a);
    ASSERT_EQ(outside.answer.size(), 1u);
    EXPECT_EQ(outside.answer[0].names[0].to_text(), "elsewhere.example.net.");
}

TEST_F(ZoneAnswers, TxtMxAndAny) {
    const auto txt = ask("deep.sub.acme.example", rr_type::txt);
    ASSERT_EQ(txt.answer.size(), 1u);
    EXPECT_EQ(txt.answer[0].rdata, (std::vector<std::uint8_t>{5, 'h', 'e', 'l', 'l', 'o', 5, 'w', 'o', 'r', 'l', 'd'}));
    const auto mx = ask("acme.example", rr_type::mx);
    ASSERT_EQ(mx.answer.size(), 1u);
    EXPECT_EQ(mx.answer[0].names[0].to_text(), "mail.acme.example.");
    const auto any = ask("acme.example", rr_type::any);
    ASSERT_FALSE(any.answer.empty());
    const auto first_type = any.answer[0].type;
    EXPECT_TRUE(std::all_of(any.answer.begin(), any.answer.end(), [&](auto& r) { return r.type == first_type; }));
}

TEST_F(ZoneAnswers, TruncatesOverUdpButNotTcp) {
    const auto udp = ask("big.acme.example", rr_type::txt);
    EXPECT_TRUE(udp.has_flag(wire::flag::tc));
    EXPECT_TRUE(udp.answer.empty());
    const auto edns = ask("big.acme.example", rr_type::txt, Transport::udp, 1232);
    EXPECT_FALSE(edns.has_flag(wire::flag::tc));
    EXPECT_EQ(edns.answer.size(), 3u);
    const auto tcp = ask("big.acme.example", rr_type::txt, Transport::tcp);
    EXPECT_FALSE(tcp.has_flag(wire::flag::tc));
    EXPECT_EQ(tcp.answer.size(), 3u);
}

TEST_F(ZoneAnswers, OptEchoedWithOurSize) {
    const auto m = ask("acme.example", rr_type::txt, Transport::udp, 4096);
    ASSERT_EQ(m.additional.size(), 1u);
    EXPECT_EQ(m.additional[0].type, rr_type::opt);
    EXPECT_EQ(m.additional[0].rr_class, our_udp_size_bytes);
}

TEST_F(ZoneAnswers, ReferralBelowDelegation) {
    const auto m = ask("www.delegated.acme.example", rr_type::a);
    EXPECT_EQ(m.rcode(), wire::rcode::noerror);
    EXPECT_FALSE(m.has_flag(wire::flag::aa));
    EXPECT_TRUE(m.answer.empty());
    ASSERT_EQ(m.authority.size(), 1u);
    EXPECT_EQ(m.authority[0].type, rr_type::ns);
    ASSERT_EQ(m.additional.size(), 1u);
}

TEST_F(ZoneAnswers, StaticNameAnswersPopCaches) {
    const auto v4 = ask("acme.cdn.example", rr_type::a);
    ASSERT_EQ(v4.answer.size(), 1u);
    EXPECT_EQ(v4.answer[0].rdata[3], 2);  // one of 127.0.x.2
    const auto v6 = ask("acme.cdn.example", rr_type::aaaa);
    ASSERT_EQ(v6.answer.size(), 1u);
    const auto txt = ask("www.acme.example", rr_type::txt);
    EXPECT_TRUE(txt.answer.empty());
    EXPECT_EQ(txt.authority.size(), 1u);
}

}  // namespace
}  // namespace udn::dns::server
