// The zone set's open-addressed node index: every indexed name is found (by its own key bytes,
// not by a hash alone), every other name misses, however crowded the probe sequences get.
#include <gtest/gtest.h>

#include <deque>
#include <fmt/format.h>

#include "dns/zone/node_index.hpp"
#include "dns/zone/zone_set.hpp"

namespace udn::dns::zone {
namespace {

std::deque<Node> make_nodes(std::size_t count, std::string_view suffix) {
    std::deque<Node> nodes;  // stable addresses
    for (std::size_t i = 0; i < count; ++i) {
        nodes.emplace_back().owner = wire::Name::from_text(fmt::format("host{}.{}", i, suffix))->lowered();
    }
    return nodes;
}

TEST(NodeIndex, FindsEveryNodeAndNothingElse) {
    const auto nodes = make_nodes(3000, "example.test");
    std::vector<const Node*> pointers;
    for (const auto& node : nodes) pointers.push_back(&node);
    NodeIndex index;
    index.build(pointers);
    EXPECT_EQ(index.capacity(), 8192U);  // at most half full
    for (const auto& node : nodes) EXPECT_EQ(index.find(node.owner.key_view()), &node) << node.owner.to_text();
    // Same lengths and near-identical bytes as the indexed names, and prefixes/suffixes of them.
    for (const auto& other : make_nodes(3000, "example.tesu")) EXPECT_EQ(index.find(other.owner.key_view()), nullptr);
    const auto key = nodes.front().owner.key_view();
    EXPECT_EQ(index.find(key.substr(0, key.size() - 1)), nullptr);
    EXPECT_EQ(index.find(key.substr(1)), nullptr);
    EXPECT_EQ(index.find(""), nullptr);
}

TEST(NodeIndex, EmptyIndexFindsNothing) {
    NodeIndex never_built;
    EXPECT_EQ(never_built.find("\3www\0"), nullptr);
    NodeIndex empty;
    empty.build({});
    EXPECT_EQ(empty.find(std::string_view("\3www\0", 5)), nullptr);
}

TEST(NodeIndex, HashReadsEveryByte) {
    // Keys differing in one byte at any position (in the 8-byte words and in the tail) differ.
    std::string key(23, 'a');
    const auto base = NodeIndex::hash(key);
    for (std::size_t i = 0; i < key.size(); ++i) {
        auto changed = key;
        changed[i] = 'b';
        EXPECT_NE(NodeIndex::hash(changed), base) << "byte " << i;
    }
    EXPECT_NE(NodeIndex::hash(std::string_view(key).substr(0, 22)), base);
    const std::string short_key = "\3www";  // under one word
    for (std::size_t i = 0; i < short_key.size(); ++i) {
        auto changed = short_key;
        changed[i] ^= 0x20;
        EXPECT_NE(NodeIndex::hash(changed), NodeIndex::hash(short_key)) << "byte " << i;
    }
}

}  // namespace
}  // namespace udn::dns::zone
