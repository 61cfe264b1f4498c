#include "configd/admin/verbs.hpp"


#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include "common/config/loader.hpp"
#include "configd/admin/report.hpp"
#include "configd/push/coordinator.hpp"
#include "configd/push/route.hpp"
#include "common/runtime/atomic_file.hpp"
#include "configd/transport/tls.hpp"

namespace udn::configd::admin {

namespace {

using transport::RouteNode;

push::CoordinatorOptions coordinator_options(const NetworkOptions& network, int timeout_ms, ProgressBar& bar) {
    push::CoordinatorOptions options;
    options.fanout = push::FanoutOptions{1000, timeout_ms, 2};
    options.journal_path = journal_path(network);
    options.on_progress = [&bar](const push::PhaseProgress& progress) { bar.update(progress); };
    return options;
}

int report(const push::PushOutcome& outcome, bool json) {
    if (json) {
        std::fputs(push_outcome_json(outcome).c_str(), stdout);
    } else {
        print_push_table(stdout, outcome);
    }
    if (outcome.decision == "prepared") return 0;
    if (outcome.decision != "commit") return 1;
    for (const auto& [node, result] : outcome.final_results) {
        if (result.state != "committed" && result.state != "unreachable") return 1;
    }
    return 0;
}

// Signs `file_bytes` (already validated as `parsed`) and pushes it down its own push tree.
int sign_and_push(const std::string& file_bytes, const config::Config& parsed, const NetworkOptions& network,
                  std::string key_name, bool prepare_only, bool json, int timeout_ms) {
    std::string error;
    const auto key_path = admin_key_path(network);
    const auto key = signing::PrivateKey::load_pem_file(key_path, error);
    if (!key) throw std::runtime_error(error);
    if (key_name.empty()) {
        const auto public_key = signing::base64_encode(key->public_key_raw());
        for (const auto& admin_key : parsed.admin_keys) {
            if (admin_key.public_key == public_key) key_name = admin_key.name;
        }
        if (key_name.empty()) {
            throw std::runtime_error("the key " + key_path.string() + " is not one of the file's admin_keys (its public "
                                     "half is " + public_key + "); pass --key-name to send it anyway");
        }
    }
    const auto plan = push::plan_route(parsed);
    if (plan.nodes.empty()) throw std::runtime_error("the push tree is empty: set push.masters to configd servers");
    for (const auto& outside : plan.outside_tree) {
        std::fprintf(stderr, "note: %s runs configd but no master forwards to it; it will not get this push\n",
                     outside.c_str());
    }
    const auto config = sign_config(file_bytes, parsed.version, key_name, random_push_id(), *key);
    ProgressBar bar(stderr);
    auto options = coordinator_options(
        network, timeout_ms > 0 ? timeout_ms : static_cast<int>(parsed.push.prepare_timeout_ms), bar);
    options.prepare_only = prepare_only;
    if (!json) {
        std::printf("pushing version %llu (push %s, %zu nodes, key %s)\n",
                    static_cast<unsigned long long>(config.version), config.push_id.c_str(), plan.nodes.size(),
                    key_name.c_str());
        std::fflush(stdout);
    }
    return report(push::run_push(config, plan.masters, plan.nodes, options), json);
}

// Finishes an interrupted push first: a new push must not overtake an undecided one.
std::optional<int> resume_if_journaled(const NetworkOptions& network, bool json, int timeout_ms) {
    const auto journal = push::read_journal(journal_path(network));
    if (!journal) return std::nullopt;
    std::fprintf(stderr, "found the journal of push %s (version %llu) in %s; finishing it first\n",
                 journal->push_id.c_str(), static_cast<unsigned long long>(journal->version),
                 journal_path(network).c_str());
    ProgressBar bar(stderr);
    const auto options = coordinator_options(network, timeout_ms > 0 ? timeout_ms : 10000, bar);
    return report(push::resume_push(*journal, options), json);
}

struct NodeStatus {
    RouteNode endpoint;
    std::optional<transport::StatusReply> reply;
    std::string error;
};

std::vector<NodeStatus> query_all(const config::Config& config) {
    std::vector<NodeStatus> statuses;
    for (const auto* server : config.servers_with_role(config::Role::configd)) {
        statuses.push_back(NodeStatus{push::endpoint_of(config, *server), std::nullopt, {}});
    }
    std::vector<std::thread> threads;
    for (auto& status : statuses) {
        threads.emplace_back([&status] {
            auto connected = transport::Connection::connect(status.endpoint.address, status.endpoint.port, 1000, 5000);
            if (auto* error = std::get_if<std::string>(&connected)) {
                status.error = *error;
                return;
            }
            auto& connection = std::get<transport::Connection>(connected);
            if (auto error = connection.send(transport::Frame{transport::MessageType::status, {}, {}})) {
                status.error = *error;
                return;
            }
            auto received = connection.receive();
            if (auto* error = std::get_if<std::string>(&received)) {
                status.error = *error;
                return;
            }
            auto reply = transport::decode_status_reply(std::get<transport::Frame>(received));
            if (auto* error = std::get_if<transport::DecodeError>(&reply)) {
                status.error = error->reason;
                return;
            }
            status.reply = std::get<transport::StatusReply>(reply);
        });
    }
    for (auto& thread : threads) thread.join();
    return statuses;
}

std::string join(const std::vector<std::uint64_t>& values) {
    std::string out;
    for (const auto value : values) out += (out.empty() ? "" : ",") + std::to_string(value);
    return out.empty() ? "-" : out;
}

std::optional<transport::FetchReply> fetch(const RouteNode& node, std::uint64_t version) {
    auto connected = transport::Connection::connect(node.address, node.port, 1000, 5000);
    if (std::holds_alternative<std::string>(connected)) return std::nullopt;
    auto& connection = std::get<transport::Connection>(connected);
    if (connection.send(transport::encode(transport::FetchRequest{version}))) return std::nullopt;
    auto received = connection.receive();
    if (std::holds_alternative<std::string>(received)) return std::nullopt;
    auto reply = transport::decode_fetch_reply(std::get<transport::Frame>(received));
    if (std::holds_alternative<transport::DecodeError>(reply)) return std::nullopt;
    return std::get<transport::FetchReply>(reply);
}

}  // namespace

std::optional<std::string> with_version(const std::string& toml, std::uint64_t version) {
    static const std::regex version_line(R"(^([ \t]*version[ \t]*=[ \t]*)[0-9]+)");
    std::size_t start = 0;
    while (start < toml.size()) {
        const auto end = std::min(toml.find('\n', start), toml.size());
        const std::string line = toml.substr(start, end - start);
        const auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] == '[') return std::nullopt;  // tables begin: not top level
        std::smatch match;
        if (std::regex_search(line, match, version_line)) {
            return toml.substr(0, start) + match[1].str() + std::to_string(version) +
                   line.substr(static_cast<std::size_t>(match.length(0))) + toml.substr(end);
        }
        start = end + 1;
    }
    return std::nullopt;
}

int push_verb(const PushOptions& options) {
    if (auto resumed = resume_if_journaled(options.network, options.json, options.timeout_ms)) {
        if (options.file.empty()) return *resumed;
    } else if (options.resume && options.file.empty()) {
        std::fprintf(stderr, "udn admin push --resume: no interrupted push in %s\n",
                     journal_path(options.network).c_str());
        return 1;
    }
    if (options.file.empty()) {
        std::fprintf(stderr, "udn admin push: name the configuration FILE to push (or --resume)\n");
        return 2;
    }
    const auto bytes = runtime::read_file(options.file);
    if (!bytes) throw std::runtime_error("cannot read " + options.file.string());
    const auto loaded = config::load_string(*bytes, options.file.string());
    if (!loaded.ok()) {
        std::fprintf(stderr, "%s\nudn admin push: %s is not valid; nothing was pushed\n", loaded.error_text().c_str(),
                     options.file.c_str());
        return 2;
    }
    return sign_and_push(*bytes, *loaded.config, options.network, options.key_name, options.prepare_only, options.json,
                         options.timeout_ms);
}

int status_verb(const NetworkOptions& options, bool json) {
    const auto config = current_network_config(options);
    const auto statuses = query_all(*config);
    // The reference is the newest committed version any node holds; anything else is divergent.
    std::uint64_t newest = 0;
    std::string newest_hash;
    for (const auto& status : statuses) {
        if (status.reply && status.reply->committed_version >= newest) {
            newest = status.reply->committed_version;
            newest_hash = status.reply->sha256;
        }
    }
    std::size_t divergent = 0;
    std::size_t unreachable = 0;
    nlohmann::json nodes = nlohmann::json::array();
    std::size_t width = 4;
    for (const auto& status : statuses) width = std::max(width, status.endpoint.name.size());
    if (!json) {
        std::printf("%s\n", fmt::format("{:<{}}  {:<21}  {:>7}  {:<12}  {:<6}  {:<8}  {:<10}  {}", "NODE", width, "ADDRESS",
                                        "VERSION", "SHA256", "SIGNED", "PENDING", "KEPT", "STATE")
                                .c_str());
    }
    for (const auto& status : statuses) {
        std::string state = "ok";
        if (!status.reply) {
            state = "unreachable: " + status.error;
            ++unreachable;
        } else if (status.reply->committed_version != newest || status.reply->sha256 != newest_hash) {
            state = fmt::format("DIVERGENT (has {}, newest is {})", status.reply->committed_version, newest);
            ++divergent;
        }
        const auto address = fmt::format("{}:{}", status.endpoint.address, status.endpoint.port);
        if (json) {
            nlohmann::json node = {{"node", status.endpoint.name}, {"address", address}, {"state", state}};
            if (status.reply) {
                node["committed_version"] = status.reply->committed_version;
                node["sha256"] = status.reply->sha256;
                node["signed"] = status.reply->is_signed;
                node["pending_versions"] = status.reply->pending_versions;
                node["kept_versions"] = status.reply->kept_versions;
            }
            nodes.push_back(std::move(node));
            continue;
        }
        std::printf("%s\n",
                    fmt::format("{:<{}}  {:<21}  {:>7}  {:<12}  {:<6}  {:<8}  {:<10}  {}", status.endpoint.name, width,
                                address, status.reply ? std::to_string(status.reply->committed_version) : "-",
                                status.reply ? status.reply->sha256.substr(0, 12) : "-",
                                status.reply ? (status.reply->is_signed ? "yes" : "no") : "-",
                                status.reply ? join(status.reply->pending_versions) : "-",
                                status.reply ? join(status.reply->kept_versions) : "-", state)
                        .c_str());
    }
    const bool consistent = divergent == 0 && unreachable == 0;
    const auto summary =
        consistent ? fmt::format("all {} nodes hold version {}", statuses.size(), newest)
                   : fmt::format("{} divergent, {} unreachable of {} nodes; newest committed version {}", divergent,
                                 unreachable, statuses.size(), newest);
    if (json) {
        std::printf("%s\n", nlohmann::json{{"newest_version", newest},
                                           {"consistent", consistent},
                                           {"summary", summary},
                                           {"nodes", nodes}}
                                .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                                .c_str());
    } else {
        std::printf("%s\n", summary.c_str());
    }
    return divergent == 0 ? (unreachable == 0 ? 0 : 1) : 3;
}

int rollback_verb(const RollbackOptions& options) {
    if (auto resumed = resume_if_journaled(options.network, options.json, 0); resumed && *resumed != 0) return *resumed;
    const auto config = current_network_config(options.network);
    const auto statuses = query_all(*config);
    std::uint64_t newest = 0;
    for (const auto& status : statuses) {
        if (status.reply) newest = std::max(newest, status.reply->committed_version);
    }
    if (newest == 0) throw std::runtime_error("no configd node answered; nothing to roll back");
    std::uint64_t target = options.to_version;
    if (target == 0) {
        for (const auto& status : statuses) {
            if (!status.reply) continue;
            for (const auto version : status.reply->kept_versions) {
                if (version < newest) target = std::max(target, version);
            }
        }
        if (target == 0) throw std::runtime_error("no node keeps a version older than " + std::to_string(newest));
    }
    if (target >= newest) {
        throw std::runtime_error(fmt::format("version {} is not older than the committed version {}", target, newest));
    }
    std::optional<transport::FetchReply> kept;
    for (const auto& status : statuses) {
        if (!status.reply) continue;
        const auto& versions = status.reply->kept_versions;
        if (std::find(versions.begin(), versions.end(), target) == versions.end()) continue;
        kept = fetch(status.endpoint, target);
        if (kept && kept->found) break;
    }
    if (!kept || !kept->found) {
        throw std::runtime_error(fmt::format("no reachable node keeps version {} (push.keep_versions is {})", target,
                                             config->push.keep_versions));
    }
    // Versions only go up (that is what defeats replays), so the old content comes back as a new version.
    const auto rewritten = with_version(kept->config.file_bytes, newest + 1);
    if (!rewritten) throw std::runtime_error("the kept file has no top-level `version = N` line to renumber");
    const auto loaded = config::load_string(*rewritten, fmt::format("version {} as {}", target, newest + 1));
    if (!loaded.ok()) throw std::runtime_error("the kept version no longer validates: " + loaded.error_text());
    if (!options.json) {
        std::printf("rolling back to the content of version %llu, re-issued as version %llu\n",
                    static_cast<unsigned long long>(target), static_cast<unsigned long long>(newest + 1));
    }
    return sign_and_push(*rewritten, *loaded.config, options.network, options.key_name, false, options.json, 0);
}

}  // namespace udn::configd::admin
