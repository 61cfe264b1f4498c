// The query path's name → node lookup: an open-addressed table of (hash, node) slots built once
// per zone snapshot, hashing the lower-cased wire key 8 bytes at a time — cheaper than
// std::unordered_map's std::hash byte loop and bucket walk (~170 instructions per query).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace udn::dns::zone {

struct Node;

class NodeIndex {
public:
    // Indexes `nodes` by their owners' keys (distinct); the nodes must outlive the index and
    // stay where they are. The table is at most half full, so a miss ends at a near empty slot.
    void build(const std::vector<const Node*>& nodes);
    const Node* find(std::string_view key) const;
    std::size_t capacity() const { return slots_.size(); }

    static std::uint64_t hash(std::string_view key);

private:
    struct Slot {
        std::uint64_t hash = 0;
        const Node* node = nullptr;
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

}  // namespace udn::dns::zone
