#include "configd/transport/messages.hpp"

namespace udn::configd::transport {

namespace {

using nlohmann::json;

// Typed field access that never throws, whatever the peer sent.
bool get(const json& object, const char* key, std::string& out) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

bool get(const json& object, const char* key, std::uint64_t& out) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_unsigned()) return false;
    out = it->get<std::uint64_t>();
    return true;
}

bool get(const json& object, const char* key, bool& out) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_boolean()) return false;
    out = it->get<bool>();
    return true;
}

bool get(const json& object, const char* key, std::vector<std::uint64_t>& out) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_array()) return false;
    for (const auto& item : *it) {
        if (!item.is_number_unsigned()) return false;
        out.push_back(item.get<std::uint64_t>());
    }
    return true;
}

DecodeError missing(const char* message, const char* field) {
    return DecodeError{std::string(message) + " message lacks a valid '" + field + "' field"};
}

json envelope_json(const SignedConfig& config) {
    return {{"version", config.version},
            {"key_name", config.key_name},
            {"push_id", config.push_id},
            {"signature", signing::base64_encode(config.signature)}};
}

std::optional<DecodeError> envelope_from(const json& object, const std::string& blob, const char* message,
                                         SignedConfig& out) {
    std::string signature;
    if (!get(object, "version", out.version)) return missing(message, "version");
    if (!get(object, "key_name", out.key_name)) return missing(message, "key_name");
    if (!get(object, "push_id", out.push_id)) return missing(message, "push_id");
    if (!get(object, "signature", signature)) return missing(message, "signature");
    auto decoded = signing::base64_decode(signature);
    if (!decoded) return DecodeError{std::string(message) + " signature is not base64"};
    out.signature = std::move(*decoded);
    out.file_bytes = blob;
    return std::nullopt;
}

std::optional<DecodeError> route_nodes_from(const json& array, std::size_t depth, std::size_t& count,
                                            std::vector<RouteNode>& out) {
    if (!array.is_array()) return DecodeError{"route is not an array"};
    if (depth > max_route_depth) return DecodeError{"route is deeper than " + std::to_string(max_route_depth)};
    for (const auto& item : array) {
        if (!item.is_object()) return DecodeError{"route entry is not an object"};
        if (++count > max_route_nodes) return DecodeError{"route has too many nodes"};
        RouteNode node;
        std::uint64_t port = 0;
        if (!get(item, "name", node.name) || !get(item, "address", node.address) || !get(item, "port", port) ||
            port == 0 || port > 65535) {
            return DecodeError{"route entry needs name, address and a port in 1..65535"};
        }
        node.port = static_cast<std::uint16_t>(port);
        const auto children = item.find("children");
        if (children != item.end()) {
            if (auto error = route_nodes_from(*children, depth + 1, count, node.children)) return error;
        }
        out.push_back(std::move(node));
    }
    return std::nullopt;
}

std::optional<DecodeError> children_from(const json& object, std::vector<RouteNode>& out) {
    const auto it = object.find("children");
    if (it == object.end()) return std::nullopt;
    std::size_t count = 0;
    return route_nodes_from(*it, 0, count, out);
}

DecodeError wrong_type(const Frame& frame, MessageType expected) {
    std::string reason;
    if (frame.type == MessageType::error && get(frame.json, "reason", reason)) return DecodeError{reason};
    return DecodeError{"expected a " + std::string(to_string(expected)) + " message, got " +
                       std::string(to_string(frame.type))};
}

void collect_names(const std::vector<RouteNode>& nodes, std::vector<std::string>& out) {
    for (const auto& node : nodes) {
        out.push_back(node.name);
        collect_names(node.children, out);
    }
}

}  // namespace

json route_to_json(const std::vector<RouteNode>& nodes) {
    json array = json::array();
    for (const auto& node : nodes) {
        json item = {{"name", node.name}, {"address", node.address}, {"port", node.port}};
        if (!node.children.empty()) item["children"] = route_to_json(node.children);
        array.push_back(std::move(item));
    }
    return array;
}

std::variant<std::vector<RouteNode>, DecodeError> route_from_json(const json& json_value) {
    std::vector<RouteNode> nodes;
    std::size_t count = 0;
    if (auto error = route_nodes_from(json_value, 0, count, nodes)) return *error;
    return nodes;
}

std::vector<std::string> route_names(const std::vector<RouteNode>& nodes) {
    std::vector<std::string> names;
    collect_names(nodes, names);
    return names;
}

Frame encode(const PrepareRequest& request) {
    Frame frame{MessageType::prepare, envelope_json(request.config), request.config.file_bytes};
    frame.json["node"] = request.node;
    frame.json["children"] = route_to_json(request.children);
    return frame;
}

Frame encode(MessageType type, const PhaseRequest& request) {
    return Frame{type,
                 {{"node", request.node}, {"push_id", request.push_id}, {"children", route_to_json(request.children)}},
                 {}};
}

Frame encode(const NodeResult& result) {
    return Frame{MessageType::node_result,
                 {{"node", result.node}, {"state", result.state}, {"version", result.version}, {"reason", result.reason}},
                 {}};
}

Frame encode(const StatusReply& reply) {
    return Frame{MessageType::status_reply,
                 {{"node", reply.node},
                  {"committed_version", reply.committed_version},
                  {"sha256", reply.sha256},
                  {"signed", reply.is_signed},
                  {"pending_versions", reply.pending_versions},
                  {"kept_versions", reply.kept_versions}},
                 {}};
}

Frame encode(const FetchRequest& request) { return Frame{MessageType::fetch, {{"version", request.version}}, {}}; }

Frame encode(const FetchReply& reply) {
    Frame frame{MessageType::fetch_reply, {{"found", reply.found}}, {}};
    if (reply.found) {
        frame.json.update(envelope_json(reply.config));
        frame.blob = reply.config.file_bytes;
    }
    return frame;
}

Frame error_frame(const std::string& reason) { return Frame{MessageType::error, {{"reason", reason}}, {}}; }

Frame forward_to(const Frame& request, const RouteNode& target, int timeout_ms) {
    Frame out{request.type, request.json, request.blob};
    out.json["node"] = target.name;
    out.json["children"] = route_to_json(target.children);
    out.json["timeout_ms"] = timeout_ms;
    return out;
}

std::variant<PrepareRequest, DecodeError> decode_prepare(const Frame& frame) {
    if (frame.type != MessageType::prepare) return wrong_type(frame, MessageType::prepare);
    PrepareRequest request;
    if (!get(frame.json, "node", request.node)) return missing("prepare", "node");
    if (auto error = envelope_from(frame.json, frame.blob, "prepare", request.config)) return *error;
    if (auto error = children_from(frame.json, request.children)) return *error;
    return request;
}

std::variant<PhaseRequest, DecodeError> decode_phase(const Frame& frame) {
    if (frame.type != MessageType::commit && frame.type != MessageType::abort) {
        return wrong_type(frame, MessageType::commit);
    }
    PhaseRequest request;
    if (!get(frame.json, "node", request.node)) return missing("commit/abort", "node");
    if (!get(frame.json, "push_id", request.push_id)) return missing("commit/abort", "push_id");
    if (auto error = children_from(frame.json, request.children)) return *error;
    return request;
}

std::variant<NodeResult, DecodeError> decode_node_result(const Frame& frame) {
    if (frame.type != MessageType::node_result) return wrong_type(frame, MessageType::node_result);
    NodeResult result;
    if (!get(frame.json, "node", result.node)) return missing("node_result", "node");
    if (!get(frame.json, "state", result.state)) return missing("node_result", "state");
    if (!get(frame.json, "version", result.version)) return missing("node_result", "version");
    if (!get(frame.json, "reason", result.reason)) return missing("node_result", "reason");
    return result;
}

std::variant<StatusReply, DecodeError> decode_status_reply(const Frame& frame) {
    if (frame.type != MessageType::status_reply) return wrong_type(frame, MessageType::status_reply);
    StatusReply reply;
    if (!get(frame.json, "node", reply.node)) return missing("status_reply", "node");
    if (!get(frame.json, "committed_version", reply.committed_version)) return missing("status_reply", "committed_version");
    if (!get(frame.json, "sha256", reply.sha256)) return missing("status_reply", "sha256");
    if (!get(frame.json, "signed", reply.is_signed)) return missing("status_reply", "signed");
    if (!get(frame.json, "pending_versions", reply.pending_versions)) return missing("status_reply", "pending_versions");
    if (!get(frame.json, "kept_versions", reply.kept_versions)) return missing("status_reply", "kept_versions");
    return reply;
}

std::variant<FetchRequest, DecodeError> decode_fetch(const Frame& frame) {
    if (frame.type != MessageType::fetch) return wrong_type(frame, MessageType::fetch);
    FetchRequest request;
    if (!get(frame.json, "version", request.version)) return missing("fetch", "version");
    return request;
}

std::variant<FetchReply, DecodeError> decode_fetch_reply(const Frame& frame) {
    if (frame.type != MessageType::fetch_reply) return wrong_type(frame, MessageType::fetch_reply);
    FetchReply reply;
    if (!get(frame.json, "found", reply.found)) return missing("fetch_reply", "found");
    if (reply.found) {
        if (auto error = envelope_from(frame.json, frame.blob, "fetch_reply", reply.config)) return *error;
    }
    return reply;
}

}  // namespace udn::configd::transport
