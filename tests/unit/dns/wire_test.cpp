// The DNS wire codec: names, query parsing (EDNS, ECS, malformed input), response building with
// compression and truncation.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "dns/wire/builder.hpp"
#include "dns/wire/message.hpp"
#include "dns/wire/query.hpp"

namespace udn::dns::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

Name name(std::string_view text) { return *Name::from_text(text); }

void append_u16(Bytes& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

Bytes make_query(std::string_view qname, std::uint16_t qtype, bool edns = false,
                 Bytes edns_options = {}, std::uint8_t version = 0) {
    Bytes out = {0x12, 0x34, 0x01, 0x00, 0, 1,
                 0,    0,    0,    0,    0, static_cast<std::uint8_t>(edns ? 1 : 0)};
    const auto owned = name(qname);
    const auto wire = owned.wire();
    out.insert(out.end(), wire.begin(), wire.end());
    append_u16(out, qtype);
    append_u16(out, class_in);
    if (edns) {
        out.push_back(0);
        append_u16(out, rr_type::opt);
        append_u16(out, 1232);
        out.push_back(0);
        out.push_back(version);
        append_u16(out, 0);
        append_u16(out, static_cast<std::uint16_t>(edns_options.size()));
        out.insert(out.end(), edns_options.begin(), edns_options.end());
    }
    return out;
}

Bytes ecs_option(std::uint16_t family, std::uint8_t source, Bytes address, std::uint8_t scope = 0) {
    Bytes out;
    append_u16(out, edns_option_client_subnet);
    append_u16(out, static_cast<std::uint16_t>(4 + address.size()));
    append_u16(out, family);
    out.push_back(source);
    out.push_back(scope);
    out.insert(out.end(), address.begin(), address.end());
    return out;
}

TEST(Name, TextRoundTripAndCase) {
    const auto www = name("WwW.Example.COM.");
    EXPECT_EQ(www.to_text(), "WwW.Example.COM.");
    EXPECT_EQ(www.label_count(), 3u);
    EXPECT_TRUE(www.equals_ignore_case(name("www.example.com")));
    EXPECT_EQ(www.lowered().to_text(), "www.example.com.");
    EXPECT_TRUE(www.is_subdomain_of(name("example.com")));
    EXPECT_FALSE(name("www.xample.com").is_subdomain_of(name("ample.com")));
    EXPECT_EQ(www.parent().to_text(), "Example.COM.");
    EXPECT_EQ(www.parent(5).to_text(), ".");
}

TEST(Name, LoweredTextForLogsEscapesLikeToText) {
    const auto text = [](const wire::Name& name) {
        std::array<char, wire::Name::max_text_bytes> buffer{};
        return std::string(buffer.data(), name.write_lowered_text(buffer.data()));
    };
    EXPECT_EQ(text(*wire::Name::from_text("WwW.Example.COM")), "www.example.com");
    EXPECT_EQ(text(wire::Name{}), ".");
    // A dot or backslash inside a label, a space and a byte above 0x7e: the same escapes as
    // to_text (\. \\ \DDD), lower-cased, without the final dot.
    wire::Name odd;
    const std::array<std::uint8_t, 6> label{'A', '.', '\\', ' ', 0xC8, 'z'};
    ASSERT_TRUE(odd.append_label(label));
    ASSERT_TRUE(odd.append_label(std::array<std::uint8_t, 2>{'E', 'x'}));
    EXPECT_EQ(odd.to_text(), "A\\.\\\\\\032\\200z.Ex.");
    EXPECT_EQ(text(odd), "a\\.\\\\\\032\\200z.ex");
    // The longest name fits the buffer: 127 labels of one byte 0xFF, four text bytes each.
    wire::Name longest;
    while (longest.append_label(std::array<std::uint8_t, 1>{0xFF})) {
    }
    EXPECT_LE(text(longest).size(), wire::Name::max_text_bytes);
    EXPECT_EQ(text(longest).substr(0, 9), "\\255.\\255");
}

// lowered() works eight bytes at a time and the text writer uses lookup tables; a plain byte
// loop is the reference.
std::string reference_text(const Name& name, bool lowered) {
    if (name.is_root()) return ".";
    std::string text;
    const auto wire = name.wire();
    for (std::size_t at = 0; wire[at] != 0; at += wire[at] + 1) {
        for (std::size_t i = 1; i <= wire[at]; ++i) {
            const unsigned c = wire[at + i];
            if (c == '.' || c == '\\') {
                text += '\\';
                text += static_cast<char>(c);
            } else if (c < 0x21 || c > 0x7e) {
                char escaped[5];
                std::snprintf(escaped, sizeof escaped, "\\%03u", c);
                text += escaped;
            } else {
                text += static_cast<char>(lowered && c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
        }
        text += '.';
    }
    return text;
}

TEST(Name, TextAndLoweringMatchAByteLoopForEveryByteAtEveryPlace) {
    std::array<char, Name::max_text_bytes> buffer{};
    std::size_t checked = 0;
    for (std::size_t lead = 0; lead <= 9; ++lead) {  // shifts the label against 8-byte words
        for (const std::size_t length : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 63u}) {
            for (std::size_t position = 0; position < length; position += (length > 17 ? 5 : 1)) {
                for (unsigned byte = 0; byte < 256; ++byte) {
                    Name name;
                    if (lead > 0) {
                        ASSERT_TRUE(name.append_label(std::vector<std::uint8_t>(lead, 'Q')));
                    }
                    std::vector<std::uint8_t> label(length, 'M');
                    label[position] = static_cast<std::uint8_t>(byte);
                    ASSERT_TRUE(name.append_label(label));
                    ASSERT_TRUE(name.append_label(std::array<std::uint8_t, 3>{'c', 'O', 'm'}));
                    ASSERT_EQ(name.to_text(), reference_text(name, false))
                        << byte << " at " << position;
                    auto lowered = reference_text(name, true);
                    lowered.pop_back();  // write_lowered_text has no final dot
                    ASSERT_EQ(std::string(buffer.data(), name.write_lowered_text(buffer.data())),
                              lowered);
                    const auto low = name.lowered();
                    ASSERT_EQ(low.size_bytes(), name.size_bytes());
                    for (std::size_t i = 0; i < name.size_bytes(); ++i) {
                        const auto c = name.wire()[i];
                        ASSERT_EQ(low.wire()[i], c >= 'A' && c <= 'Z' ? c + 32 : c) << i;
                    }
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 50'000u);
    // Labels that end near the 255-byte limit, where an 8-byte load would run past the name.
    Name longest;
    while (longest.append_label(std::array<std::uint8_t, 5>{'A', 'b', '.', 'D', 0x7f})) {
    }
    EXPECT_GE(longest.size_bytes(), 250u);
    EXPECT_EQ(longest.to_text(), reference_text(longest, false));
    auto lowered = reference_text(longest, true);
    lowered.pop_back();
    EXPECT_EQ(std::string(buffer.data(), longest.write_lowered_text(buffer.data())), lowered);
    // Plain labels up to the 255-byte limit, read up to the buffer's end and never past it.
    Name plain_longest;
    while (plain_longest.append_label(
        std::array<std::uint8_t, 9>{'A', 'b', 'c', 'D', 'e', 'f', 'G', 'h', 'i'})) {
    }
    EXPECT_GE(plain_longest.size_bytes(), 250u);
    EXPECT_EQ(plain_longest.to_text(), reference_text(plain_longest, false));
    lowered = reference_text(plain_longest, true);
    lowered.pop_back();
    EXPECT_EQ(std::string(buffer.data(), plain_longest.write_lowered_text(buffer.data())), lowered);
    // Escapes first, plain bytes last: the text nears max_text_bytes, the room callers give it
    // (a write past the end of `buffer` is an ASan error).
    Name mixed;
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(mixed.append_label(std::vector<std::uint8_t>(60, 0xFF)));
    ASSERT_TRUE(mixed.append_label(std::vector<std::uint8_t>(9, 'Z')));
    lowered = reference_text(mixed, true);
    lowered.pop_back();
    EXPECT_GT(lowered.size(), 960u);
    EXPECT_EQ(std::string(buffer.data(), mixed.write_lowered_text(buffer.data())), lowered);
}

TEST(Name, RejectsBadText) {
    EXPECT_FALSE(Name::from_text("a..b"));
    EXPECT_FALSE(Name::from_text(std::string(64, 'x') + ".com"));
    std::string long_name;
    for (int i = 0; i < 60; ++i) long_name += "abcd.";
    EXPECT_FALSE(Name::from_text(long_name));
}

TEST(ReadName, FollowsBackwardPointersOnly) {
    // "example.com" at 0, then "www" + pointer to 0 at 13.
    Bytes bytes = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',  3, 'c',
                   'o', 'm', 0,   3,   'w', 'w', 'w', 0xC0, 0};
    std::size_t offset = 13;
    Name out;
    ASSERT_EQ(read_name(bytes, offset, out), NameStatus::ok);
    EXPECT_EQ(out.to_text(), "www.example.com.");
    EXPECT_EQ(offset, bytes.size());
    Bytes loop = {0xC0, 0x00};
    offset = 0;
    EXPECT_EQ(read_name(loop, offset, out), NameStatus::bad_pointer);
    Bytes forward = {0xC0, 0x02, 0};
    offset = 0;
    EXPECT_EQ(read_name(forward, offset, out), NameStatus::bad_pointer);
    Bytes truncated = {5, 'a', 'b'};
    offset = 0;
    EXPECT_EQ(read_name(truncated, offset, out), NameStatus::truncated);
    Bytes extended = {0x41, 0};
    offset = 0;
    EXPECT_EQ(read_name(extended, offset, out), NameStatus::bad_label_type);
}

// An uncompressed name is copied in one piece: the limits must be exactly those of the general
// label-by-label decoding (255 bytes in all, labels <= 63, no overrun), and a name that turns
// into a pointer half-way still decodes.
TEST(ReadName, PlainNamesKeepTheLimits) {
    const auto plain = [](std::size_t labels_of_63, std::size_t last_label) {
        Bytes bytes;
        for (std::size_t i = 0; i < labels_of_63; ++i) {
            bytes.push_back(63);
            bytes.insert(bytes.end(), 63, static_cast<std::uint8_t>('A' + i));
        }
        if (last_label > 0) {
            bytes.push_back(static_cast<std::uint8_t>(last_label));
            bytes.insert(bytes.end(), last_label, 'z');
        }
        bytes.push_back(0);
        return bytes;
    };
    Name out;
    std::size_t offset = 0;
    const auto longest = plain(3, 61);  // 3 * 64 + 62 + 1 = 255 bytes
    ASSERT_EQ(longest.size(), max_name_size_bytes);
    ASSERT_EQ(read_name(longest, offset, out), NameStatus::ok);
    EXPECT_EQ(offset, longest.size());
    EXPECT_EQ(Bytes(out.wire().begin(), out.wire().end()), longest);
    EXPECT_EQ(out.label_count(), 4u);
    const auto too_long = plain(3, 62);  // 256 bytes
    offset = 0;
    EXPECT_EQ(read_name(too_long, offset, out), NameStatus::too_long);
    auto overrun = plain(1, 5);
    overrun.pop_back();  // no terminating zero
    offset = 0;
    EXPECT_EQ(read_name(overrun, offset, out), NameStatus::truncated);
    // "Www.Example.COM" after two bytes of something else: case kept, offset past the name.
    Bytes mixed = {0xFF, 0xFF, 3,   'W', 'w', 'w', 7,   'E', 'x', 'a',
                   'm',  'p',  'l', 'e', 3,   'C', 'O', 'M', 0,   0xAB};
    offset = 2;
    ASSERT_EQ(read_name(mixed, offset, out), NameStatus::ok);
    EXPECT_EQ(out.to_text(), "Www.Example.COM.");
    EXPECT_EQ(offset, mixed.size() - 1);
    EXPECT_TRUE(out.equals_ignore_case(name("www.example.com")));
    // A label, then a pointer back to "Example.COM": the general path takes over.
    Bytes pointed = {0xFF, 0xFF, 3, 'W', 'w', 'w', 7, 'E', 'x', 'a', 'm',  'p',
                     'l',  'e',  3, 'C', 'O', 'M', 0, 2,   'n', 's', 0xC0, 6};
    offset = 19;
    ASSERT_EQ(read_name(pointed, offset, out), NameStatus::ok);
    EXPECT_EQ(out.to_text(), "ns.Example.COM.");
    EXPECT_EQ(offset, pointed.size());
    // A name read over a longer one leaves nothing of it behind.
    offset = 0;
    ASSERT_EQ(read_name(longest, offset, out), NameStatus::ok);
    Bytes root = {0};
    offset = 0;
    ASSERT_EQ(read_name(root, offset, out), NameStatus::ok);
    EXPECT_TRUE(out.is_root());
    EXPECT_EQ(out.to_text(), ".");
    EXPECT_EQ(out.lowered().size_bytes(), 1u);
}

// The question's reader: the same name and status as read_name, and the name lowered as
// lowered() does, whether the name is copied and lowered in one pass (plain, short or long) or
// decoded label by label (a pointer), and the root when it fails.
TEST(ReadName, AndLoweredAgreesWithReadNameAndLowered) {
    Bytes pointed = {0xFF, 0xFF, 3, 'W', 'w', 'w', 7, 'E', 'x', 'a', 'm',  'p',
                     'l',  'e',  3, 'C', 'O', 'M', 0, 2,   'N', 's', 0xC0, 6};
    std::vector<std::pair<Bytes, std::size_t>> cases = {
        {pointed, 2},
        {pointed, 19},
        {{0}, 0},
        {{1, 'Q', 0}, 0},
        {{6, 'A', 'b', 'C', 'd', 'E', 'f', 0}, 0},
        {{3, 'A', 'b', 'C', 3, 'd', 'E', 'f', 0}, 0},
        {{5, 'a', 'b'}, 0},
        {{0xC0, 0x02, 0}, 0},
        {{0x41, 0}, 0}};
    Bytes longest;
    for (int i = 0; i < 3; ++i) {
        longest.push_back(63);
        longest.insert(longest.end(), 63, static_cast<std::uint8_t>(i % 2 == 0 ? 'X' : 'y'));
    }
    longest.push_back(61);
    longest.insert(longest.end(), 61, 'Z');
    longest.push_back(0);
    cases.emplace_back(longest, 0);
    for (const auto& [bytes, start] : cases) {
        std::size_t offset = start;
        Name expected;
        const auto expected_status = read_name(bytes, offset, expected);
        const auto expected_offset = offset;
        offset = start;
        Name out;
        Name lowered;
        ASSERT_TRUE(
            lowered.append_label(std::array<std::uint8_t, 3>{'o', 'l', 'd'}));  // a used one
        EXPECT_EQ(read_name_and_lowered(bytes, offset, out, lowered), expected_status);
        if (expected_status != NameStatus::ok) {
            EXPECT_TRUE(lowered.is_root());
            continue;
        }
        EXPECT_EQ(offset, expected_offset);
        EXPECT_EQ(out.to_text(), expected.to_text());
        const auto expected_lowered = expected.lowered();
        EXPECT_EQ(Bytes(lowered.wire().begin(), lowered.wire().end()),
                  Bytes(expected_lowered.wire().begin(), expected_lowered.wire().end()))
            << expected.to_text();
    }
}

TEST(ParseQuery, PlainQuestionKeepsCase) {
    Query query;
    const auto bytes = make_query("WWW.acme.example", rr_type::a);
    ASSERT_EQ(parse_query(bytes, query), QueryStatus::ok);
    EXPECT_EQ(query.id, 0x1234);
    EXPECT_EQ(query.qname.to_text(), "WWW.acme.example.");
    EXPECT_EQ(query.qname_lowered.to_text(), "www.acme.example.");
    EXPECT_EQ(query.qtype, rr_type::a);
    EXPECT_FALSE(query.edns.present);
}

TEST(ParseQuery, EdnsAndClientSubnet) {
    Query query;
    auto bytes = make_query("a.example", rr_type::a, true, ecs_option(1, 24, {192, 0, 2}));
    ASSERT_EQ(parse_query(bytes, query), QueryStatus::ok);
    EXPECT_TRUE(query.edns.present);
    EXPECT_EQ(query.edns.udp_size_bytes, 1232);
    ASSERT_TRUE(query.edns.client_subnet.present);
    EXPECT_EQ(query.edns.client_subnet.source_prefix_length, 24);
    EXPECT_EQ(query.edns.client_subnet.address[2], 2);
}

TEST(ParseQuery, AQueryParsedIntoAUsedOneKeepsNothingOfIt) {
    // A worker parses every query into the same Query: nothing of the one before may stay.
    Query used;
    ASSERT_EQ(parse_query(make_query("Long.Name.Of.A.Query.example", rr_type::aaaa, true,
                                     ecs_option(2, 48, {0x20, 1, 0xd, 0xb8, 0, 1})),
                          used),
              QueryStatus::ok);
    ASSERT_TRUE(used.edns.client_subnet.present);
    const auto plain = make_query("a.example", rr_type::a);
    Query fresh;
    ASSERT_EQ(parse_query(plain, fresh), QueryStatus::ok);
    ASSERT_EQ(parse_query(plain, used), QueryStatus::ok);
    EXPECT_EQ(used.id, fresh.id);
    EXPECT_EQ(used.flags, fresh.flags);
    EXPECT_EQ(used.opcode, fresh.opcode);
    EXPECT_EQ(used.has_question, fresh.has_question);
    EXPECT_EQ(used.qname.to_text(), "a.example.");
    EXPECT_EQ(used.qtype, rr_type::a);
    EXPECT_EQ(used.qclass, fresh.qclass);
    EXPECT_FALSE(used.edns.present);
    EXPECT_EQ(used.edns.udp_size_bytes, 0);
    EXPECT_FALSE(used.edns.client_subnet.present);
    EXPECT_EQ(used.edns.client_subnet.address, (std::array<std::uint8_t, 16>{}))
        << "no address bytes of the last one";
    // And a query that stops early (no question) leaves no question of the one before.
    auto headless = plain;
    headless[5] = 0;  // QDCOUNT 0
    EXPECT_EQ(parse_query(headless, used), QueryStatus::formerr);
    EXPECT_FALSE(used.has_question);
    EXPECT_TRUE(used.qname.is_root());
}

TEST(ParseQuery, MalformedClientSubnetIsFormerr) {
    Query query;
    // Host bits set beyond /20.
    EXPECT_EQ(
        parse_query(make_query("a.example", 1, true, ecs_option(1, 20, {192, 0, 0x1F})), query),
        QueryStatus::formerr);
    // Address longer than the prefix needs.
    EXPECT_EQ(parse_query(make_query("a.example", 1, true, ecs_option(1, 8, {10, 0})), query),
              QueryStatus::formerr);
    // Scope must be zero in queries; unknown family.
    EXPECT_EQ(parse_query(make_query("a.example", 1, true, ecs_option(1, 8, {10}, 4)), query),
              QueryStatus::formerr);
    EXPECT_EQ(parse_query(make_query("a.example", 1, true, ecs_option(3, 8, {10})), query),
              QueryStatus::formerr);
}

TEST(ParseQuery, StatusForBadInput) {
    Query query;
    EXPECT_EQ(parse_query(Bytes{1, 2, 3}, query), QueryStatus::drop);
    auto response = make_query("a.example", 1);
    response[2] |= 0x80;
    EXPECT_EQ(parse_query(response, query), QueryStatus::drop);
    auto notify = make_query("a.example", 1);
    notify[2] = 0x20;  // opcode 4
    EXPECT_EQ(parse_query(notify, query), QueryStatus::notimp);
    EXPECT_TRUE(query.has_question);
    auto two_questions = make_query("a.example", 1);
    two_questions[5] = 2;
    EXPECT_EQ(parse_query(two_questions, query), QueryStatus::formerr);
    auto cut = make_query("a.example", 1);
    cut.resize(cut.size() - 3);
    EXPECT_EQ(parse_query(cut, query), QueryStatus::formerr);
    EXPECT_EQ(parse_query(make_query("a.example", 1, true, {}, 1), query), QueryStatus::badvers);
}

TEST(Builder, CompressesOwnerAndRdataNames) {
    Query query;
    ASSERT_EQ(parse_query(make_query("www.Acme.example", rr_type::cname), query), QueryStatus::ok);
    std::array<std::uint8_t, 512> buffer{};
    ResponseBuilder builder(buffer, 512);
    builder.start(query);
    builder.set_flags(flag::aa);
    const auto target = name("origin.acme.example");
    ASSERT_TRUE(
        builder.add_record(Section::answer, query.qname, rr_type::cname, 60, {{}, &target}));
    const std::array<std::uint8_t, 4> address = {192, 0, 2, 1};
    ASSERT_TRUE(builder.add_record(Section::answer, target, rr_type::a, 60, {address}));
    const auto size = builder.finish();
    // 12 header + 22 question + (2+10+9) cname + (2+10+4) a = 71
    EXPECT_EQ(size, 71u);
    std::string error;
    const auto message = parse_message({buffer.data(), size}, &error);
    ASSERT_TRUE(message) << error;
    EXPECT_TRUE(message->has_flag(flag::aa));
    EXPECT_TRUE(message->has_flag(flag::qr));
    ASSERT_EQ(message->answer.size(), 2u);
    EXPECT_EQ(message->answer[0].owner.to_text(), "www.Acme.example.");
    // Compression is case-insensitive (RFC 1035 2.3.3), so the data name may take the question's
    // case.
    EXPECT_EQ(message->answer[0].names[0].lowered().to_text(), "origin.acme.example.");
    EXPECT_EQ(message->answer[1].owner.lowered().to_text(), "origin.acme.example.");
}

// A record owned by the question's name (byte for byte) takes a shortcut to the pointer; an
// owner equal to it in another case goes the general way. Both must write the same bytes, also
// when the record stops fitting, and the shortcut must not apply to names in the data.
TEST(Builder, RecordsAtTheQuestionAreTheGeneralPathsBytes) {
    Query query;
    ASSERT_EQ(parse_query(make_query("Gslb.Acme.example", rr_type::a, true), query),
              QueryStatus::ok);
    const auto other_case = name("gSLB.aCME.EXAMPLE");
    ASSERT_TRUE(other_case.equals_ignore_case(query.qname));
    const std::array<std::uint8_t, 4> address = {192, 0, 2, 7};
    const std::array<std::uint8_t, 6> text = {5, 'h', 'e', 'l', 'l', 'o'};
    const std::array<std::uint8_t, 2> preference = {0, 10};
    const auto exchange = name("mx.acme.example");
    for (const std::size_t limit :
         {std::size_t{512}, std::size_t{12 + 22 + 16 + 16 + 2}, std::size_t{60}}) {
        const auto build = [&](const Name& owner, std::vector<std::uint8_t>& out) {
            out.assign(512, 0xEE);
            ResponseBuilder builder(out, limit);
            builder.start(query);
            int added = 0;
            added += builder.add_record(Section::answer, owner, rr_type::a, 30, {address});
            added += builder.add_record(Section::answer, owner, rr_type::a, 30, {address});
            added += builder.add_record(Section::answer, owner, rr_type::txt, 300, {text});
            added += builder.add_record(Section::answer, owner, rr_type::mx, 300,
                                        {preference, &exchange});
            builder.set_client_subnet_scope(0);
            out.resize(builder.finish());
            return added;
        };
        std::vector<std::uint8_t> fast;
        std::vector<std::uint8_t> same_bytes;
        std::vector<std::uint8_t> general;
        const auto fast_added = build(query.qname, fast);  // the query's own Name: no compare
        const Name copy = query.qname;                     // equal bytes, found by comparing
        const auto same_bytes_added = build(copy, same_bytes);
        const auto general_added = build(other_case, general);
        EXPECT_EQ(fast_added, general_added) << "limit " << limit;
        EXPECT_EQ(fast, general) << "limit " << limit;
        EXPECT_EQ(same_bytes_added, general_added) << "limit " << limit;
        EXPECT_EQ(same_bytes, general) << "limit " << limit;
        std::string error;
        const auto message = parse_message(fast, &error);
        ASSERT_TRUE(message) << error;
        ASSERT_EQ(message->answer.size(), static_cast<std::size_t>(fast_added));
        for (const auto& record : message->answer)
            EXPECT_EQ(record.owner.to_text(), "Gslb.Acme.example.");
    }
    // The root question has no label to point to: its owner is written as the one zero byte.
    Query root;
    ASSERT_EQ(parse_query(make_query(".", rr_type::a), root), QueryStatus::ok);
    std::array<std::uint8_t, 512> buffer{};
    ResponseBuilder builder(buffer, 512);
    builder.start(root);
    ASSERT_TRUE(builder.add_record(Section::answer, root.qname, rr_type::a, 30, {address}));
    EXPECT_EQ(builder.finish(), 12u + 5u + 1u + 10u + 4u);
}

// The question's labels become compression targets when the first name is written the general
// way; a rollback to a mark from before that must not lose them.
TEST(Builder, ARollbackKeepsTheQuestionAsACompressionTarget) {
    Query query;
    ASSERT_EQ(parse_query(make_query("www.acme.example", rr_type::a), query), QueryStatus::ok);
    std::array<std::uint8_t, 512> buffer{};
    ResponseBuilder builder(buffer, 512);
    builder.start(query);
    const auto before = builder.mark();
    const std::array<std::uint8_t, 4> address = {192, 0, 2, 1};
    ASSERT_TRUE(builder.add_record(Section::answer, name("origin.acme.example"), rr_type::a, 60,
                                   {address}));
    builder.rollback(before);
    ASSERT_TRUE(
        builder.add_record(Section::answer, name("mail.acme.example"), rr_type::a, 60, {address}));
    // 12 header + 22 question + ("mail" 5 + pointer 2 + 10 + 4) = 55: acme.example points into
    // the question.
    const auto size = builder.finish();
    EXPECT_EQ(size, 55u);
    const auto message = parse_message({buffer.data(), size});
    ASSERT_TRUE(message);
    ASSERT_EQ(message->answer.size(), 1u);
    EXPECT_EQ(message->answer[0].owner.to_text(), "mail.acme.example.");
}

// Compression takes, for every name, the longest suffix written before it (in any case), as a
// plain search over every suffix would: random names from a few labels, against a reference
// that keeps the text of every suffix written so far.
TEST(Builder, CompressionFindsTheLongestSuffixWrittenBefore) {
    const std::array<std::string_view, 6> labels = {"a", "B", "ab", "example", "Example", "xy"};
    std::uint32_t seed = 7;
    const auto next = [&seed](std::uint32_t bound) {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) % bound;
    };
    const auto random_name = [&] {
        std::string text;
        for (std::uint32_t n = 1 + next(4); n-- > 0;) text += std::string(labels[next(labels.size())]) + ".";
        return name(text);
    };
    // Every label-aligned suffix of `written`, lower case, as text.
    const auto suffixes = [](const Name& written) {
        std::vector<std::string> out;
        const auto text = written.lowered().to_text();
        for (std::size_t at = 0; at < text.size() - 1; at = text.find('.', at) + 1) out.push_back(text.substr(at));
        return out;
    };
    for (int round = 0; round < 300; ++round) {
        const auto question_name = random_name();
        Query query;
        ASSERT_EQ(parse_query(make_query(question_name.to_text(), rr_type::cname), query), QueryStatus::ok);
        std::array<std::uint8_t, 1024> buffer{};
        ResponseBuilder builder(buffer, buffer.size());
        builder.start(query);
        std::vector<std::string> known = suffixes(question_name);
        std::size_t expected = header_size_bytes + question_name.size_bytes() + 4;
        const auto reference_bytes = [&](const Name& written) {
            const auto text = written.lowered().to_text();
            std::size_t bytes = written.size_bytes();  // uncompressed
            for (std::size_t at = 0; at < text.size() - 1; at = text.find('.', at) + 1) {
                if (std::find(known.begin(), known.end(), text.substr(at)) != known.end()) {
                    bytes = at + 2;  // the labels before it, then a pointer
                    break;
                }
            }
            for (auto& suffix : suffixes(written)) known.push_back(std::move(suffix));
            return bytes;
        };
        // Five records of two names of at most four labels: fewer new labels than the builder
        // keeps targets for (48), so none is left out and the reference holds exactly.
        for (int record = 0; record < 5; ++record) {
            const auto owner = next(3) == 0 ? query.qname : random_name();
            const auto target = random_name();
            ASSERT_TRUE(builder.add_record(Section::answer, owner, rr_type::cname, 60, {{}, &target}));
            expected += reference_bytes(owner) + 10;  // then the data's name, written after it
            expected += reference_bytes(target);
        }
        const auto size = builder.finish();
        EXPECT_EQ(size, expected) << "round " << round << ", question " << question_name.to_text();
        std::string error;
        ASSERT_TRUE(parse_message({buffer.data(), size}, &error)) << error;
    }
}

TEST(Builder, RecordThatDoesNotFitLeavesMessageIntact) {
    Query query;
    ASSERT_EQ(parse_query(make_query("t.example", rr_type::txt, true), query), QueryStatus::ok);
    std::array<std::uint8_t, 600> buffer{};
    ResponseBuilder builder(buffer, 100);
    builder.start(query);
    builder.reserve_opt(query.edns);
    std::vector<std::uint8_t> text(80, 'x');
    text[0] = 79;
    EXPECT_FALSE(builder.add_record(Section::answer, query.qname, rr_type::txt, 60, {text}));
    EXPECT_EQ(builder.count(Section::answer), 0u);
    const auto size = builder.finish();
    const auto message = parse_message({buffer.data(), size});
    ASSERT_TRUE(message);
    ASSERT_EQ(message->additional.size(), 1u);
    EXPECT_EQ(message->additional[0].type, rr_type::opt);
    EXPECT_LE(size, 100u);
}

TEST(Builder, OptCarriesScopeAndExtendedRcode) {
    Query query;
    ASSERT_EQ(parse_query(make_query("a.example", 1, true, ecs_option(1, 24, {192, 0, 2})), query),
              QueryStatus::ok);
    std::array<std::uint8_t, 512> buffer{};
    ResponseBuilder builder(buffer, 512);
    builder.start(query);
    Edns edns = query.edns;
    edns.client_subnet.scope_prefix_length = 24;
    builder.reserve_opt(edns);
    builder.set_rcode(rcode::badvers);
    const auto size = builder.finish();
    const auto message = parse_message({buffer.data(), size});
    ASSERT_TRUE(message);
    const auto& opt = message->additional.at(0);
    EXPECT_EQ(opt.ttl_s >> 24, 1u);  // BADVERS = 16 = (1 << 4) | 0
    EXPECT_EQ(message->rcode(), 0);
    ASSERT_EQ(opt.rdata.size(), 11u);
    EXPECT_EQ(opt.rdata[7], 24);  // scope
}

}  // namespace
}  // namespace udn::dns::wire
