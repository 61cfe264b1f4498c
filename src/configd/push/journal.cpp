#include "configd/push/journal.hpp"

#include <stdexcept>

#include "common/runtime/atomic_file.hpp"

namespace udn::configd::push {

std::optional<std::string> write_journal(const std::filesystem::path& path, const Journal& journal) {
    std::error_code ignored;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ignored);
    const nlohmann::json json = {{"push_id", journal.push_id},
                                 {"version", journal.version},
                                 {"decision", journal.decision},
                                 {"route", transport::route_to_json(journal.route)},
                                 {"nodes", journal.nodes}};
    return runtime::write_file_atomically(path, json.dump(2) + "\n");
}

std::optional<Journal> read_journal(const std::filesystem::path& path) {
    const auto text = runtime::read_file(path);
    if (!text) return std::nullopt;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    const auto fail = [&] {
        return std::runtime_error("the push journal " + path.string() +
                                  " is unreadable; inspect it, then delete it to start afresh");
    };
    if (json.is_discarded() || !json.is_object()) throw fail();
    Journal journal;
    nlohmann::json route_json;
    try {
        route_json = json.at("route");
        journal.push_id = json.at("push_id").get<std::string>();
        journal.version = json.at("version").get<std::uint64_t>();
        journal.decision = json.at("decision").get<std::string>();
        journal.nodes = json.at("nodes").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
        throw fail();
    }
    auto route = transport::route_from_json(route_json);
    if (std::holds_alternative<transport::DecodeError>(route)) throw fail();
    journal.route = std::get<std::vector<transport::RouteNode>>(route);
    return journal;
}

void remove_journal(const std::filesystem::path& path) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

}  // namespace udn::configd::push
