// Typed configd protocol messages and their (hostile-input-safe) mapping to frames.
// The route a push travels is carried in each PREPARE/COMMIT/ABORT: the admin tool computes it
// from the pushed file's push tree, so a node can forward before it has parsed the file.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "configd/signing/envelope.hpp"
#include "configd/transport/frame.hpp"

namespace udn::configd::transport {

inline constexpr std::size_t max_route_depth = 32;
inline constexpr std::size_t max_route_nodes = 10000;

struct RouteNode {
    std::string name;
    std::string address;
    std::uint16_t port = 0;
    std::vector<RouteNode> children;
};

struct PrepareRequest {
    std::string node;  // the server the sender believes it is talking to
    SignedConfig config;
    std::vector<RouteNode> children;
};

struct PhaseRequest {  // COMMIT or ABORT
    std::string node;
    std::string push_id;
    std::vector<RouteNode> children;
};

// One node's outcome, streamed up the tree as soon as it is known.
struct NodeResult {
    std::string node;
    std::string state;  // prepared, rejected, failed, unreachable, committed, aborted
    std::uint64_t version = 0;
    std::string reason;
};

struct StatusReply {
    std::string node;
    std::uint64_t committed_version = 0;
    std::string sha256;
    bool is_signed = false;
    std::vector<std::uint64_t> pending_versions;
    std::vector<std::uint64_t> kept_versions;
};

struct FetchRequest {
    std::uint64_t version = 0;  // 0 = the committed one
};

struct FetchReply {
    bool found = false;
    SignedConfig config;
};

Frame encode(const PrepareRequest& request);
Frame encode(MessageType type, const PhaseRequest& request);
Frame encode(const NodeResult& result);
Frame encode(const StatusReply& reply);
Frame encode(const FetchRequest& request);
Frame encode(const FetchReply& reply);
Frame error_frame(const std::string& reason);
// A received PREPARE, COMMIT or ABORT as `target` (a child in its route) is to receive it: its
// name and subtree as node and route, `timeout_ms` as its budget; the rest (the signed envelope
// and the file) passed on as received, without decoding and re-encoding a 1 MB file per child.
Frame forward_to(const Frame& request, const RouteNode& target, int timeout_ms);

std::variant<PrepareRequest, DecodeError> decode_prepare(const Frame& frame);
std::variant<PhaseRequest, DecodeError> decode_phase(const Frame& frame);
std::variant<NodeResult, DecodeError> decode_node_result(const Frame& frame);
std::variant<StatusReply, DecodeError> decode_status_reply(const Frame& frame);
std::variant<FetchRequest, DecodeError> decode_fetch(const Frame& frame);
std::variant<FetchReply, DecodeError> decode_fetch_reply(const Frame& frame);

nlohmann::json route_to_json(const std::vector<RouteNode>& nodes);
std::variant<std::vector<RouteNode>, DecodeError> route_from_json(const nlohmann::json& json);
// Every node in the subtrees, depth first.
std::vector<std::string> route_names(const std::vector<RouteNode>& nodes);

}  // namespace udn::configd::transport
