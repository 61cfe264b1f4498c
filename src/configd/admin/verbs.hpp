// `udn admin push`, `udn admin status` and `udn admin rollback`: the operator's side of
// configuration distribution. Each returns the process exit code.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "configd/admin/network.hpp"

namespace udn::configd::admin {

struct PushOptions {
    NetworkOptions network;
    std::filesystem::path file;  // empty with resume
    std::string key_name;        // empty = the admin key of the file matching the private key
    bool prepare_only = false;
    bool resume = false;
    bool json = false;
    int timeout_ms = 0;  // 0 = push.prepare_timeout_ms of the pushed file
};

struct RollbackOptions {
    NetworkOptions network;
    std::uint64_t to_version = 0;  // 0 = the newest kept version before the committed one
    std::string key_name;
    bool json = false;
};

int push_verb(const PushOptions& options);
int status_verb(const NetworkOptions& options, bool json);
int rollback_verb(const RollbackOptions& options);

// Rewrites the top-level `version = N` line (before any table); nullopt if there is none.
std::optional<std::string> with_version(const std::string& toml, std::uint64_t version);

}  // namespace udn::configd::admin
