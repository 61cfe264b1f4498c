// The coordinator's log of a push in progress, so a restarted admin tool knows what it
// decided: no decision yet -> abort (presumed abort); commit decided -> finish the commit.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "configd/transport/messages.hpp"

namespace udn::configd::push {

struct Journal {
    std::string push_id;
    std::uint64_t version = 0;
    std::string decision;  // "", "commit" or "abort"
    std::vector<transport::RouteNode> route;
    std::vector<std::string> nodes;
};

std::optional<std::string> write_journal(const std::filesystem::path& path, const Journal& journal);
// nullopt when there is no journal; throws std::runtime_error if it exists but is unreadable.
std::optional<Journal> read_journal(const std::filesystem::path& path);
void remove_journal(const std::filesystem::path& path);

}  // namespace udn::configd::push
