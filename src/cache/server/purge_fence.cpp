// Purges against in-flight stores; see purge_fence.hpp.
#include "cache/server/purge_fence.hpp"

#include <utility>

namespace udn::cache::server {

PurgeFence::Ticket::Ticket(Ticket&& other) noexcept
    : fence_(std::exchange(other.fence_, nullptr)), id_(std::exchange(other.id_, 0)) {}

PurgeFence::Ticket& PurgeFence::Ticket::operator=(Ticket&& other) noexcept {
    if (this != &other) {
        if (fence_) fence_->close(id_);
        fence_ = std::exchange(other.fence_, nullptr);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

PurgeFence::Ticket::~Ticket() {
    if (fence_) fence_->close(id_);
}

PurgeFence::Ticket PurgeFence::open(std::string key) {
    std::lock_guard lock(mutex_);
    const auto id = next_id_++;
    open_.emplace(id, Open{std::move(key), false});
    return Ticket(this, id);
}

void PurgeFence::record(const Cover& cover) {
    std::lock_guard lock(mutex_);
    for (auto& [id, ticket] : open_) {
        if (cover.covers(ticket.key)) ticket.purged = true;
    }
}

bool PurgeFence::store_unless_purged(const Ticket& ticket, const std::function<void()>& store) {
    if (ticket.fence_ != this) return false;
    std::lock_guard lock(mutex_);
    const auto it = open_.find(ticket.id_);
    if (it == open_.end() || it->second.purged) return false;
    store();
    return true;
}

std::size_t PurgeFence::open_tickets() {
    std::lock_guard lock(mutex_);
    return open_.size();
}

void PurgeFence::close(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    open_.erase(id);
}

}  // namespace udn::cache::server
