#include "configd/daemon/daemon.hpp"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/config/loader.hpp"
#include "common/crypto/sha256.hpp"
#include "common/runtime/http_server.hpp"
#include "common/runtime/metrics.hpp"
#include "common/runtime/signals.hpp"
#include "configd/daemon/local_roles.hpp"
#include "configd/push/fanout.hpp"
#include "configd/push/route.hpp"
#include "configd/store/store.hpp"
#include "configd/transport/tls.hpp"

namespace udn::configd::daemon {

namespace {

using transport::Frame;
using transport::MessageType;
using transport::NodeResult;

constexpr int max_connections = 256;
constexpr int accept_poll_ms = 200;
constexpr int level_margin_ms = 300;  // each tree level waits a little less than its parent

int timeout_from(const Frame& frame, int fallback_ms) {
    const auto it = frame.json.find("timeout_ms");
    if (it == frame.json.end() || !it->is_number_unsigned()) return fallback_ms;
    return static_cast<int>(std::clamp<std::uint64_t>(it->get<std::uint64_t>(), 500, 600000));
}

// Sends `request` on to each child of the route (concurrently, in the calling thread's pool) and
// relays every result they stream back; each level waits a little less than its parent.
void forward_to_children(const Frame& request, const std::vector<transport::RouteNode>& children, int budget_ms,
                         const push::ResultSink& send_up) {
    const push::FanoutOptions fanout{1000, std::max(500, budget_ms - level_margin_ms), 2};
    push::fan_out(
        children,
        [&](const transport::RouteNode& target) { return transport::forward_to(request, target, fanout.io_timeout_ms); },
        fanout, send_up);
}

std::string first_error(const config::LoadResult& result) {
    return result.errors.empty() ? std::string{"invalid configuration"} : result.errors.front().to_string();
}

}  // namespace

struct Daemon::Impl {
    DaemonOptions options;
    std::mutex state_mutex;  // guards store and current
    store::Store store;
    std::shared_ptr<const config::Config> current;
    std::string committed_push_id;  // of current; empty for the initial, unsigned copy
    std::optional<transport::Listener> listener;
    // Parsed at PREPARE so that COMMIT only switches pointers; dropped on commit/abort.
    std::map<std::string, std::shared_ptr<const config::Config>> prepared;

    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> finished;
    };
    std::list<Worker> workers;

    // Outcomes of this node, by phase and state, for /metrics.
    void count(std::string_view phase, std::string_view state) {
        if (options.registry == nullptr) return;
        options.registry
            ->counter("udn_configd_results_total", "Push phases handled by this node, by phase and outcome",
                      {{"phase", std::string(phase)}, {"state", std::string(state)}})
            .add();
    }

    explicit Impl(DaemonOptions daemon_options)
        : options(std::move(daemon_options)), store(options.state_dir / "configd", 10) {}

    void load_committed() {
        auto loaded = config::load_string(store.committed_file(), store.current_path().string());
        if (!loaded.ok()) throw std::runtime_error("the committed configuration is invalid: " + loaded.error_text());
        current = loaded.config;
        if (const auto committed = store.committed_signed()) committed_push_id = committed->push_id;
        store.set_keep_versions(current->push.keep_versions);
    }

    int io_timeout_ms() {
        std::lock_guard lock(state_mutex);
        return static_cast<int>(current->push.prepare_timeout_ms);
    }

    void reload_roles() {
        for (const auto& line : signal_local_roles(options.state_dir / "run")) spdlog::info("configd: {}", line);
    }

    // Commits an envelope whose signature/version checks already passed; caller holds the lock.
    std::optional<std::string> commit_locked(const std::string& push_id) {
        std::shared_ptr<const config::Config> next;
        if (auto it = prepared.find(push_id); it != prepared.end()) next = it->second;
        if (!next) {
            auto pending = store.pending(push_id);
            if (!pending) return "no prepared configuration for push " + push_id;
            auto parsed = config::load_string(pending->file_bytes, "push " + push_id);
            if (!parsed.ok()) return first_error(parsed);
            next = parsed.config;
        }
        if (next->version <= current->version) {
            return "version " + std::to_string(next->version) + " is not newer than the committed version " +
                   std::to_string(current->version);
        }
        if (auto failure = store.commit(push_id)) return failure;
        prepared.clear();
        current = std::move(next);
        committed_push_id = push_id;
        store.set_keep_versions(current->push.keep_versions);
        return std::nullopt;
    }

    // ---- PREPARE ----
    NodeResult prepare_locally(const SignedConfig& incoming) {
        NodeResult result{options.server, "rejected", incoming.version, {}};
        auto parsed = config::load_string(incoming.file_bytes, "push " + incoming.push_id);
        if (!parsed.ok()) {
            result.reason = "invalid configuration: " + first_error(parsed);
            return result;
        }
        if (auto verdict = verify_file_version(incoming, *parsed.config); !verdict.accepted) {
            result.reason = verdict.reason;
            return result;
        }
        std::lock_guard lock(state_mutex);
        if (auto failure = store.prepare(incoming, parsed.config->content_hash)) {
            result.state = "failed";
            result.reason = *failure;
            return result;
        }
        if (prepared.size() >= 4) prepared.clear();  // bounded: abandoned pushes must not pile up
        prepared[incoming.push_id] = parsed.config;
        result.state = "prepared";
        return result;
    }

    void handle_prepare(transport::Connection& connection, const Frame& frame) {
        auto decoded = transport::decode_prepare(frame);
        if (auto* error = std::get_if<transport::DecodeError>(&decoded)) {
            (void)connection.send(transport::error_frame(error->reason));
            return;
        }
        const auto& request = std::get<transport::PrepareRequest>(decoded);
        std::mutex send_mutex;
        const auto send_up = [&](const NodeResult& result) {
            std::lock_guard lock(send_mutex);
            (void)connection.send(transport::encode(result));
        };
        // Signature, version and replay are checked before forwarding anything: a node never
        // spreads what it would refuse itself.
        Verdict verdict;
        {
            std::lock_guard lock(state_mutex);
            verdict = verify_signed_config(request.config, *current, current->version);
            if (verdict.accepted && store.seen(request.config.push_id)) {
                verdict = Verdict::reject("replayed push id " + request.config.push_id + " (already committed or aborted)");
            }
        }
        if (request.node != options.server) {
            verdict = Verdict::reject("this address is configd of '" + options.server + "', not '" + request.node + "'");
        }
        if (!verdict.accepted) {
            spdlog::warn("configd: rejected push {} version {}: {}", request.config.push_id, request.config.version,
                         verdict.reason);
            count("prepare", "rejected");
            send_up(NodeResult{options.server, "rejected", request.config.version, verdict.reason});
            for (const auto& name : transport::route_names(request.children)) {
                send_up(NodeResult{name, "rejected", request.config.version,
                                   "not forwarded: " + options.server + " rejected it: " + verdict.reason});
            }
            (void)connection.send(Frame{MessageType::done, {}, {}});
            return;
        }
        // The children get the file while this node checks it: a level costs one transfer, not
        // a transfer plus a parse.
        const int budget_ms = timeout_from(frame, io_timeout_ms());
        std::thread forwarder([&] { forward_to_children(frame, request.children, budget_ms, send_up); });
        const auto own = prepare_locally(request.config);
        count("prepare", own.state);
        spdlog::info("configd: push {} version {}: {}{}{}", request.config.push_id, request.config.version, own.state,
                     own.reason.empty() ? "" : ": ", own.reason);
        send_up(own);
        forwarder.join();
        (void)connection.send(Frame{MessageType::done, {}, {}});
    }

    // ---- COMMIT / ABORT ----
    NodeResult phase_locally(MessageType type, const std::string& push_id) {
        std::lock_guard lock(state_mutex);
        const bool already_committed = committed_push_id == push_id;
        if (type == MessageType::abort) {
            if (already_committed) return {options.server, "failed", current->version, "already committed; cannot abort"};
            store.abort(push_id);
            prepared.erase(push_id);
            return {options.server, "aborted", current->version, {}};
        }
        if (already_committed) return {options.server, "committed", current->version, "already committed"};
        if (auto failure = commit_locked(push_id)) return {options.server, "failed", current->version, *failure};
        return {options.server, "committed", current->version, {}};
    }

    void handle_phase(transport::Connection& connection, const Frame& frame) {
        auto decoded = transport::decode_phase(frame);
        if (auto* error = std::get_if<transport::DecodeError>(&decoded)) {
            (void)connection.send(transport::error_frame(error->reason));
            return;
        }
        const auto& request = std::get<transport::PhaseRequest>(decoded);
        std::mutex send_mutex;
        const auto send_up = [&](const NodeResult& result) {
            std::lock_guard lock(send_mutex);
            (void)connection.send(transport::encode(result));
        };
        const int budget_ms = timeout_from(frame, io_timeout_ms());
        std::thread forwarder([&] { forward_to_children(frame, request.children, budget_ms, send_up); });
        NodeResult own;
        if (!store::is_valid_push_id(request.push_id)) {
            own = {options.server, "failed", 0, "malformed push id"};
        } else if (request.node != options.server) {
            own = {options.server, "failed", 0, "this address is configd of '" + options.server + "', not '" + request.node + "'"};
        } else {
            own = phase_locally(frame.type, request.push_id);
        }
        spdlog::info("configd: {} push {}: {} (committed version {}){}{}", transport::to_string(frame.type),
                     request.push_id, own.state, own.version, own.reason.empty() ? "" : ": ", own.reason);
        count(transport::to_string(frame.type), own.state);
        send_up(own);
        if (own.state == "committed" && own.reason.empty()) reload_roles();
        forwarder.join();
        (void)connection.send(Frame{MessageType::done, {}, {}});
    }

    // ---- STATUS / FETCH ----
    Frame status_reply() {
        std::lock_guard lock(state_mutex);
        transport::StatusReply reply;
        reply.node = options.server;
        reply.committed_version = current->version;
        reply.sha256 = crypto::sha256_hex(store.committed_file());
        reply.is_signed = store.committed_signed().has_value();
        reply.kept_versions = store.kept_versions();
        std::error_code ignored;
        for (const auto& entry : std::filesystem::directory_iterator(store.directory() / "pending", ignored)) {
            const auto name = entry.path().filename().string();
            if (name.size() > 5 && name.substr(name.size() - 5) == ".toml") {
                if (auto pending = store.pending(name.substr(0, name.size() - 5))) {
                    reply.pending_versions.push_back(pending->version);
                }
            }
        }
        return transport::encode(reply);
    }

    Frame fetch_reply(const Frame& frame) {
        auto decoded = transport::decode_fetch(frame);
        if (auto* error = std::get_if<transport::DecodeError>(&decoded)) return transport::error_frame(error->reason);
        const auto version = std::get<transport::FetchRequest>(decoded).version;
        std::lock_guard lock(state_mutex);
        transport::FetchReply reply;
        auto found = version == 0 ? store.committed_signed() : store.kept_version(version);
        if (found) {
            reply.found = true;
            reply.config = std::move(*found);
        }
        return transport::encode(reply);
    }

    void serve(transport::Connection connection) {
        try {
            serve_one(connection);
        } catch (const std::exception& error) {
            // Only a bug gets here (inputs are validated); keep the daemon up and say so.
            spdlog::error("configd: internal error while serving {}: {}", connection.peer(), error.what());
        }
    }

    void serve_one(transport::Connection& connection) {
        auto received = connection.receive();
        if (auto* error = std::get_if<std::string>(&received)) {
            spdlog::warn("configd: dropped a connection: {}", *error);
            return;
        }
        const auto& frame = std::get<Frame>(received);
        switch (frame.type) {
            case MessageType::prepare: handle_prepare(connection, frame); break;
            case MessageType::commit:
            case MessageType::abort: handle_phase(connection, frame); break;
            case MessageType::status: (void)connection.send(status_reply()); break;
            case MessageType::fetch: (void)connection.send(fetch_reply(frame)); break;
            default:
                (void)connection.send(transport::error_frame("unexpected " + std::string(transport::to_string(frame.type)) +
                                                             " request"));
        }
    }

    void reap_workers(bool all) {
        for (auto it = workers.begin(); it != workers.end();) {
            if (all || it->finished->load()) {
                it->thread.join();
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
    }

    // ---- catch-up ----
    // Ancestors first (nearest is the most authoritative); then, so that a master that was down
    // also converges, the other masters and our own children. Whatever they send is verified
    // like a push, so asking a peer is as safe as asking the parent.
    std::vector<transport::RouteNode> catch_up_candidates() {
        std::lock_guard lock(state_mutex);
        std::vector<transport::RouteNode> candidates;
        std::vector<std::string> names;
        for (const auto* ancestor : push::ancestors(*current, options.server)) names.push_back(ancestor->name);
        for (const auto& master : current->push.masters) names.push_back(master);
        if (const auto* self = current->find_server(options.server)) {
            names.insert(names.end(), self->forwards_to.begin(), self->forwards_to.end());
        }
        for (const auto& name : names) {
            const auto* server = current->find_server(name);
            if (server == nullptr || name == options.server || !server->has_role(config::Role::configd)) continue;
            const bool known = std::any_of(candidates.begin(), candidates.end(),
                                           [&](const transport::RouteNode& node) { return node.name == name; });
            if (!known) candidates.push_back(push::endpoint_of(*current, *server));
        }
        return candidates;
    }

    void catch_up() {
        for (const auto& candidate : catch_up_candidates()) {
            auto connected = transport::Connection::connect(candidate.address, candidate.port, 1000, 5000);
            if (std::holds_alternative<std::string>(connected)) continue;
            auto& connection = std::get<transport::Connection>(connected);
            if (connection.send(transport::encode(transport::FetchRequest{0}))) continue;
            auto received = connection.receive();
            if (std::holds_alternative<std::string>(received)) continue;
            auto reply = transport::decode_fetch_reply(std::get<Frame>(received));
            if (std::holds_alternative<transport::DecodeError>(reply)) continue;
            const auto& fetched = std::get<transport::FetchReply>(reply);
            {
                std::lock_guard lock(state_mutex);
                if (!fetched.found || fetched.config.version <= current->version) continue;
            }
            adopt(candidate.name, fetched);
            return;
        }
    }

    void adopt(const std::string& from, const transport::FetchReply& reply) {
        if (!reply.found) return;
        const auto& incoming = reply.config;
        std::lock_guard lock(state_mutex);
        if (incoming.version <= current->version) return;
        auto verdict = verify_signed_config(incoming, *current, current->version);
        auto parsed = config::load_string(incoming.file_bytes, "catch-up from " + from);
        if (verdict.accepted && !parsed.ok()) verdict = Verdict::reject("invalid configuration: " + first_error(parsed));
        if (verdict.accepted) verdict = verify_file_version(incoming, *parsed.config);
        if (!verdict.accepted) {
            spdlog::warn("configd: catch-up from {}: refused version {}: {}", from, incoming.version, verdict.reason);
            return;
        }
        if (auto failure = store.prepare(incoming)) {
            spdlog::error("configd: catch-up from {}: {}", from, *failure);
            return;
        }
        if (auto failure = commit_locked(incoming.push_id)) {
            spdlog::error("configd: catch-up from {}: {}", from, *failure);
            return;
        }
        spdlog::info("configd: caught up from {}: committed version {}", from, current->version);
        count("catch_up", "committed");
        reload_roles();
    }
};

Daemon::Daemon(DaemonOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    auto& impl = *impl_;
    impl.store.open(impl.options.config_path);
    impl.load_committed();
    const auto* server = impl.current->find_server(impl.options.server);
    if (server == nullptr) {
        throw std::runtime_error("server '" + impl.options.server + "' is not in " + impl.store.current_path().string() +
                                 " — pass the name of one of pops[].servers[]");
    }
    if (!server->has_role(config::Role::configd)) {
        spdlog::warn("configd: server '{}' does not list the configd role; serving anyway", server->name);
    }
    std::string address = impl.options.listen_address;
    std::uint16_t port = impl.options.listen_port;
    if (!impl.options.listen_override) {
        if (server->addresses.empty()) throw std::runtime_error("server '" + server->name + "' has no address");
        address = server->addresses.front().to_string();
        port = impl.current->ports.configd;
    }
    auto bound = transport::Listener::bind(address, port);
    if (auto* error = std::get_if<std::string>(&bound)) throw std::runtime_error(*error);
    impl.listener.emplace(std::move(std::get<transport::Listener>(bound)));
    spdlog::info("configd: server {} listening on {}:{} (TLS), committed version {}", server->name, address,
                 impl.listener->port(), impl.current->version);
}

Daemon::~Daemon() = default;

std::uint16_t Daemon::port() const { return impl_->listener->port(); }

void Daemon::catch_up() { impl_->catch_up(); }

std::uint64_t Daemon::committed_version() const {
    std::lock_guard lock(impl_->state_mutex);
    return impl_->current->version;
}

std::pair<std::string, std::uint16_t> Daemon::admin_endpoint() const {
    std::lock_guard lock(impl_->state_mutex);
    const auto* server = impl_->current->find_server(impl_->options.server);
    const auto address = server != nullptr && !server->addresses.empty() ? server->addresses.front().to_string()
                                                                          : impl_->options.listen_address;
    return {address, impl_->current->ports.configd_admin};
}

void Daemon::run(const std::atomic<bool>& stop) {
    auto& impl = *impl_;
    std::atomic<bool> sync_stop{false};
    std::thread syncer([&] {
        auto next = std::chrono::steady_clock::now();
        while (!stop.load() && !sync_stop.load()) {
            if (std::chrono::steady_clock::now() >= next) {
                impl.catch_up();
                next = std::chrono::steady_clock::now() + std::chrono::milliseconds(impl.options.sync_interval_ms);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    while (!stop.load()) {
        auto accepted = impl.listener->accept(accept_poll_ms, impl.io_timeout_ms());
        impl.reap_workers(false);
        if (!accepted) continue;
        if (impl.workers.size() >= max_connections) {
            spdlog::warn("configd: {} connections already open; refusing {}", max_connections, accepted->peer());
            continue;
        }
        auto finished = std::make_shared<std::atomic<bool>>(false);
        impl.workers.push_back(Impl::Worker{
            std::thread([&impl, finished, connection = std::move(*accepted)]() mutable {
                impl.serve(std::move(connection));
                finished->store(true);
            }),
            finished});
    }
    sync_stop = true;
    syncer.join();
    impl.reap_workers(true);
}

int run_configd(const DaemonOptions& options) {
    // Before any thread: signals then arrive only through the watcher.
    runtime::SignalWatcher signals;
    runtime::Registry registry;
    auto daemon_options = options;
    daemon_options.registry = &registry;
    Daemon daemon(daemon_options);
    registry.gauge_callback("udn_configd_committed_version", "Version of the committed configuration", {},
                            [&daemon] { return static_cast<double>(daemon.committed_version()); });
    runtime::PidFile pid_file(options.state_dir, "configd");
    const auto admin = daemon.admin_endpoint();
    runtime::HttpServer http({admin.first, admin.second, "configd_admin"}, registry);
    http.start();
    std::atomic<bool> stop{false};
    std::thread server([&] { daemon.run(stop); });
    for (;;) {
        const auto event = signals.wait(std::chrono::milliseconds(1000));
        if (!event) continue;
        if (*event == runtime::SignalEvent::reload) {
            // Our configuration is the store itself; a reload means: check the parent now.
            spdlog::info("configd: SIGHUP: checking the parent for a newer committed version");
            daemon.catch_up();
            continue;
        }
        spdlog::info("configd: stopping");
        break;
    }
    stop = true;
    server.join();
    http.stop();
    return 0;
}

}  // namespace udn::configd::daemon
