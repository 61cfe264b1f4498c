// Orders purges against stores that were already under way when the purge came: an origin fetch
// that started before a purge, or a disk-tier read being promoted into memory, must not put the
// purged content back after the purge erased it ("effective for the very next request").
// Each such store holds a ticket from before it reads its content; a purge marks the open
// tickets it covers, and a marked ticket's store does not happen. Exact, with no window: the
// tickets are the fetches under way (a few hundred at most), not a history of purges.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace udn::cache::server {

class PurgeFence {
public:
    // What a purge covers: `exact` (may be "") and every key starting with `prefix` ("" = all).
    // Variant and slice keys extend their URL's key, so a cover that covers a URL's key covers
    // them too, and a ticket can be taken on the URL's key before the variant is known.
    struct Cover {
        std::string exact;
        std::string prefix;
        bool covers(std::string_view key) const { return (!exact.empty() && key == exact) || key.starts_with(prefix); }
    };

    class Ticket {
    public:
        Ticket() = default;
        Ticket(Ticket&& other) noexcept;
        Ticket& operator=(Ticket&& other) noexcept;
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        ~Ticket();

    private:
        friend class PurgeFence;
        Ticket(PurgeFence* fence, std::uint64_t id) : fence_(fence), id_(id) {}
        PurgeFence* fence_ = nullptr;
        std::uint64_t id_ = 0;
    };

    // Taken before the content to be stored under `key` (or keys extending it) is read.
    Ticket open(std::string key);
    // Marks the open tickets `cover` covers. Call before erasing the stores, so that a racing
    // store is either done before (and then erased) or refused.
    void record(const Cover& cover);
    // Runs `store` unless a purge since the ticket was opened covered it; returns whether it ran.
    // `store` runs under the fence's lock and must not purge. A default ticket never stores.
    bool store_unless_purged(const Ticket& ticket, const std::function<void()>& store);
    std::size_t open_tickets();

private:
    struct Open {
        std::string key;
        bool purged = false;
    };
    void close(std::uint64_t id);

    std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::uint64_t, Open> open_;
};

}  // namespace udn::cache::server
