#include "dns/zone/node_index.hpp"

#include <cstring>

#include "dns/zone/zone_set.hpp"

namespace udn::dns::zone {
namespace {

constexpr std::uint64_t multiplier = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix(std::uint64_t state, std::uint64_t word) {
    state = (state ^ word) * multiplier;
    return state ^ (state >> 29);
}

}  // namespace

std::uint64_t NodeIndex::hash(std::string_view key) {
    const auto* bytes = key.data();
    const auto size = key.size();
    std::uint64_t state = mix(0, size);
    if (size < 8) {
        std::uint64_t word = 0;
        for (std::size_t i = 0; i < size; ++i) word |= std::uint64_t{static_cast<std::uint8_t>(bytes[i])} << (8 * i);
        return mix(state, word);
    }
    std::size_t at = 0;
    for (; at + 8 < size; at += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes + at, 8);
        state = mix(state, word);
    }
    // The last 8 bytes, overlapping the previous word when the size is not a multiple of 8:
    // no byte loop for the tail (the size is mixed in, so overlaps cannot alias other keys').
    std::uint64_t word;
    std::memcpy(&word, bytes + size - 8, 8);
    state = mix(state, word);
    return state ^ (state >> 32);
}

void NodeIndex::build(const std::vector<const Node*>& nodes) {
    std::size_t capacity = 8;
    while (capacity < 2 * nodes.size()) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const auto* node : nodes) {
        const auto h = hash(node->owner.key_view());
        auto at = h & mask_;
        while (slots_[at].node != nullptr) at = (at + 1) & mask_;
        slots_[at] = {h, node};
    }
}

const Node* NodeIndex::find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    const auto h = hash(key);
    for (auto at = h & mask_;; at = (at + 1) & mask_) {
        const auto& slot = slots_[at];
        if (slot.node == nullptr) return nullptr;
        if (slot.hash == h && slot.node->owner.key_view() == key) return slot.node;
    }
}

}  // namespace udn::dns::zone
