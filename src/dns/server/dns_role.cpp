#include "dns/server/dns_role.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/config/reloadable.hpp"
#include "common/report/signer.hpp"
#include "common/runtime/http_server.hpp"
#include "common/runtime/logging.hpp"
#include "common/runtime/metrics.hpp"
#include "common/runtime/signals.hpp"
#include "common/runtime/spool.hpp"
#include "dns/cluster/handover.hpp"
#include "dns/gslb/pop_slots.hpp"
#include "dns/server/client_state_file.hpp"
#include "dns/server/counting_sink.hpp"
#include "dns/server/explain.hpp"
#include "dns/server/probe_link.hpp"
#include "dns/server/query_log.hpp"
#include "dns/server/tcp_server.hpp"
#include "dns/server/udp_worker.hpp"

namespace udn::dns::server {
namespace {

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

std::shared_ptr<const ServingState> build_serving(std::shared_ptr<const config::Config> config,
                                                  const std::string& server_name, std::uint64_t generation,
                                                  std::vector<std::string>& errors) {
    const auto* server = config->find_server(server_name);
    if (server == nullptr) {
        errors.push_back(fmt::format("--server {}: no such server in {} — use one of pops[].servers[].name",
                                     server_name, config->source_path));
        return nullptr;
    }
    if (!server->has_role(config::Role::dns)) {
        errors.push_back(fmt::format("server {} (line {}) does not have the dns role — add \"dns\" to its roles",
                                     server_name, server->line));
        return nullptr;
    }
    return ServingState::build(std::move(config), generation, errors, server_name);
}

std::string query_parameter(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == key) {
            std::string value(pair.substr(eq + 1));
            std::replace(value.begin(), value.end(), '+', ' ');
            const auto decoded = runtime::percent_decode(value);
            return decoded.ok ? decoded.path : std::string{};
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

void register_probe_metrics(runtime::Registry& registry, const ProbeLink& probes, const QueryLog* log) {
    const auto& c = probes.counters();
    const auto gauge = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& value) {
        registry.gauge_callback(name, help, {}, [&value] { return static_cast<double>(value.load()); });
    };
    gauge("udn_dns_reports_accepted", "Probe reports accepted", c.reports_accepted);
    gauge("udn_dns_reports_rejected", "Probe report datagrams dropped: forged, replayed, stale or malformed", c.reports_rejected);
    gauge("udn_dns_reports_bad_version", "Of the rejected: a report-protocol version this build does not speak (a newer sender)",
          c.reports_bad_version);
    for (std::size_t reason = 0; reason <= static_cast<std::size_t>(report::Error::too_many_senders); ++reason) {
        const auto& value = c.reports_rejected_by_reason[reason];
        registry.gauge_callback("udn_dns_reports_rejected_by_reason",
                                "Probe report datagrams dropped, by why: bad_mac (another key), stale or from_future "
                                "(clock skew beyond probe.report_max_age_ms), replayed, malformed, ...",
                                {{"reason", std::string(report::to_string(static_cast<report::Error>(reason)))}},
                                [&value] { return static_cast<double>(value.load()); });
    }
    gauge("udn_dns_reports_unknown_sender", "Authentic reports from a sender not in the configuration", c.reports_unknown_sender);
    gauge("udn_dns_latency_results", "Latency result datagrams accepted", c.latency_results);
    gauge("udn_dns_latency_requests_sent", "Latency request datagrams sent to POP probes", c.latency_requests_sent);
    gauge("udn_dns_latency_clients_requested", "Client addresses asked to be measured", c.latency_clients_requested);
    if (log != nullptr) {
        registry.gauge_callback("udn_dns_query_log_dropped", "Query log lines dropped: the writer fell behind, or the spool could not be written", {},
                                [log] { return static_cast<double>(log->dropped()); });
    }
}

// How full the client-state tables are, so an operator can tell when the sizes chosen at start
// (dns.latency_prefixes, dns.persistence_entries) are too small.
void register_client_state_metrics(runtime::Registry& registry, const SharedState& shared) {
    const auto gauge = [&](const char* name, const char* help, auto read) {
        registry.gauge_callback(name, help, {}, [read] { return static_cast<double>(read()); });
    };
    const auto& latency = shared.latency;
    const auto& persistence = shared.persistence;
    gauge("udn_dns_latency_prefixes", "Client prefixes with latency measurements held",
          [&latency] { return latency.size(); });
    gauge("udn_dns_latency_prefixes_capacity", "Client prefixes the latency table has room for (dns.latency_prefixes)",
          [&latency] { return latency.capacity(); });
    gauge("udn_dns_latency_evictions",
          "Client prefixes whose measurements, still in use, were overwritten for lack of room (raise "
          "dns.latency_prefixes)",
          [&latency] { return latency.evictions(); });
    gauge("udn_dns_persistence_evictions",
          "Persistence windows cut short for lack of room (raise dns.persistence_entries)",
          [&persistence] { return persistence.evictions(); });
}

// Sums of every worker's cluster counters (UDP workers and the TCP server): how much of the
// client state lives elsewhere.
void register_cluster_metrics(runtime::Registry& registry, const std::vector<std::unique_ptr<UdpWorker>>& workers,
                              const TcpServer& tcp) {
    using Field = std::atomic<std::uint64_t> cluster::ForwarderCounters::*;
    const auto sum = [&workers, &tcp](Field field) {
        std::uint64_t total = 0;
        for (const auto& worker : workers) {
            if (const auto* counters = worker->forwarder_counters()) total += (counters->*field).load();
        }
        if (const auto* counters = tcp.forwarder_counters()) total += (counters->*field).load();
        return static_cast<double>(total);
    };
    const auto gauge = [&](const char* name, const char* help, Field field) {
        registry.gauge_callback(name, help, {}, [sum, field] { return sum(field); });
    };
    gauge("udn_dns_cluster_forwarded", "GSLB queries forwarded to the DNS server owning the client's prefix",
          &cluster::ForwarderCounters::forwarded);
    gauge("udn_dns_cluster_relayed", "Owners' answers relayed to clients", &cluster::ForwarderCounters::relayed);
    gauge("udn_dns_cluster_timeouts", "Forwarded queries answered locally because the owner stayed silent",
          &cluster::ForwarderCounters::timeouts);
    gauge("udn_dns_cluster_busy", "GSLB queries answered locally because no forwarding slot was free",
          &cluster::ForwarderCounters::busy);
    gauge("udn_dns_cluster_stray_answers", "Answer datagrams matching no waiting query (late or forged)",
          &cluster::ForwarderCounters::stray);
    gauge("udn_dns_cluster_owner_suspensions", "Times an owner was skipped for a while after missed answers",
          &cluster::ForwarderCounters::suspended);
    gauge("udn_dns_cluster_refused",
          "Forwarded queries the kernel refused to send to their owner (no route, full buffer); "
          "each was answered locally at once",
          &cluster::ForwarderCounters::refused);
    registry.gauge_callback("udn_dns_cluster_served_for_peers", "Queries answered for clients other servers forwarded",
                            {}, [&workers] {
                                std::uint64_t total = 0;
                                for (const auto& worker : workers) total += worker->served_for_peers();
                                return static_cast<double>(total);
                            });
    registry.gauge_callback("udn_dns_cluster_rejected", "Forwarded-query datagrams not from a DNS server, or malformed",
                            {}, [&workers] {
                                std::uint64_t total = 0;
                                for (const auto& worker : workers) total += worker->rejected_envelopes();
                                return static_cast<double>(total);
                            });
}

// What handovers send and the client-state file keeps: POPs named by the slots they hold now,
// measurements no older than probe.latency_staleness_s.
std::uint32_t latency_fresh_since_s(const config::Config& config, std::int64_t now_ms) {
    const auto staleness_s = std::int64_t{config.probe.latency_staleness_s};
    return static_cast<std::uint32_t>(std::max<std::int64_t>(now_ms / 1000 - staleness_s, 1));
}

cluster::ClientStateView client_state_view(const SharedState& shared, const gslb::PopSlots& slots,
                                           const config::Config& config, std::int64_t now_ms) {
    cluster::ClientStateView view{&shared.persistence, &shared.latency, {}, latency_fresh_since_s(config, now_ms)};
    for (const auto& pop : slots.holders()) view.pop_of_slot.push_back(pop.empty() ? 0 : gslb::stable_identity(pop));
    return view;
}

// Takes what the last run saved. A damaged file is moved aside (kept for a look, never read
// again) and the server starts without it.
void restore_client_state(const std::filesystem::path& path, SharedState& shared) {
    const auto now_ms = static_cast<std::int64_t>(report::unix_time_ms());
    const auto serving = shared.serving.get();
    const auto loaded = load_client_state(path, *serving, shared.persistence, shared.latency, now_ms,
                                          latency_fresh_since_s(*serving->config, now_ms));
    if (loaded.error && !loaded.damaged) {  // unreadable now (permissions, I/O): left where it is
        spdlog::warn("dns: {}; starting without it", *loaded.error);
        return;
    }
    if (loaded.error) {
        auto aside = path;
        aside += ".bad";
        std::error_code error;
        std::filesystem::rename(path, aside, error);
        spdlog::warn("dns: {}; starting without it ({})", *loaded.error,
                     error ? "and it could not be moved aside: " + error.message() : "moved to " + aside.string());
        return;
    }
    if (loaded.saved_at_ms == 0) return;  // no file: a first start
    spdlog::info("dns: restored {} persistence windows and {} latency measurements from {} (saved {} s ago)",
                 loaded.persistence, loaded.latency, path.string(), (now_ms - loaded.saved_at_ms) / 1000);
}

// When the new configuration no longer has `self` as a dns server: the ring of the dns servers
// it has, to hand this server's client state to (null when there is none to hand to).
std::shared_ptr<const cluster::Ring> ring_without(const config::Config& next, const std::string& self,
                                                  const std::shared_ptr<const cluster::Ring>& running) {
    if (running == nullptr) return nullptr;
    if (const auto* server = next.find_server(self); server != nullptr && server->has_role(config::Role::dns)) {
        return nullptr;  // still a dns server: the configuration failed for another reason
    }
    const auto family = running->member(running->self()).address.family();
    for (const auto* server : next.servers_with_role(config::Role::dns)) {
        if (server->addresses.empty() || server->addresses.front().family() != family) continue;
        std::vector<std::string> dropped;
        return cluster::Ring::build(next, server->name, dropped);  // who owns what is the same from any member
    }
    return nullptr;
}

}  // namespace

int run_dns_role(const RoleSettings& settings) {
    runtime::SignalWatcher signals;  // before any thread: they inherit the blocked signals
    const auto& role = settings.role;
    runtime::setup_logging(role.log_options("dns"));
    const auto state_dir = role.effective_state_dir();
    config::ReloadableConfig config(role.config_path);
    std::vector<std::string> errors;
    std::uint64_t generation = 1;
    auto serving = build_serving(config.current(), role.server, generation, errors);
    if (!serving) throw std::runtime_error(join(errors));
    if (serving->geo) spdlog::info("dns: GeoIP fallback from {} ({})", serving->geo->path(), serving->geo->database().description());
    const auto& initial = *serving->config;
    const auto* server = initial.find_server(role.server);
    // First of what touches the state directory: a second `udn dns` on it stops here.
    runtime::PidFile pid_file(state_dir, "dns");

    SharedStateSettings shared_settings;
    shared_settings.latency_prefixes = initial.dns.latency_prefixes;
    shared_settings.persistence_entries = initial.dns.persistence_entries;
    shared_settings.latency_pops = std::clamp<std::size_t>(initial.pops.size() + initial.dns.latency_spare_pops, 1,
                                                           gslb::no_latency_slot);
    gslb::PopSlots latency_slots(shared_settings.latency_pops);
    SharedState shared(serving, shared_settings);
    spdlog::info("dns: client state: latency for {} prefixes x {} POP slots ({} MiB), {} persistence windows ({} MiB)",
                 shared.latency.capacity(), shared.latency.pop_count(), shared.latency.memory_bytes() >> 20,
                 shared.persistence.capacity(), shared.persistence.memory_bytes() >> 20);
    serving = with_latency_slots(serving, latency_slots, shared.latency);
    shared.latency.set_staleness_s(initial.probe.latency_staleness_s);
    shared.serving.replace(serving);
    const auto state_file = client_state_path(state_dir);
    restore_client_state(state_file, shared);

    runtime::Registry metrics;
    runtime::SpoolWriter spool({runtime::spool_directory(state_dir, "dns"), initial.logs.spool_max_bytes,
                                initial.logs.spool_max_age_s});
    const std::size_t sink_workers = settings.udp_workers + 1;
    std::unique_ptr<QueryLog> query_log;
    if (settings.query_log) query_log = std::make_unique<QueryLog>(sink_workers, role.server, spool);
    CountingSink sink(sink_workers, metrics, query_log.get());
    sink.rebuild(serving);

    // The dns servers are part of `pops`, which only a restart changes: a lone dns server needs no
    // cluster sockets, and without them its workers keep the one-system-call blocking receive.
    // (With several, the sockets stay bound while dns.share_client_state is off, so that a live
    // reload can turn sharing on.)
    const bool has_peers = initial.servers_with_role(config::Role::dns).size() > 1;
    std::vector<net::Endpoint> endpoints;
    std::vector<net::Endpoint> cluster_endpoints;
    for (const auto& address : server->addresses) {
        endpoints.push_back({address, initial.ports.dns});
        if (has_peers) cluster_endpoints.push_back({address, initial.ports.dns_cluster});
    }
    std::vector<std::unique_ptr<UdpWorker>> workers;
    for (std::size_t i = 0; i < settings.udp_workers; ++i) {
        workers.push_back(std::make_unique<UdpWorker>(i, shared, endpoints, cluster_endpoints, sink));
    }
    const auto cluster_address =
        cluster_endpoints.empty() ? std::nullopt : std::optional<net::IpAddress>(cluster_endpoints.front().address);
    TcpServer tcp(settings.udp_workers, shared, endpoints, sink, {}, cluster_address);
    ProbeLink probes(shared, role.server);
    register_probe_metrics(metrics, probes, query_log.get());
    register_cluster_metrics(metrics, workers, tcp);
    register_client_state_metrics(metrics, shared);
    std::atomic<std::uint64_t> persistence_handed_over{0};
    std::atomic<std::uint64_t> latency_handed_over{0};
    metrics.gauge_callback("udn_dns_cluster_persistence_handed_over",
                           "Persistence entries sent to a client's new owner after the DNS servers changed", {},
                           [&persistence_handed_over] { return static_cast<double>(persistence_handed_over.load()); });
    metrics.gauge_callback("udn_dns_cluster_latency_handed_over",
                           "Client latency measurements sent to a client's new owner after the DNS servers changed",
                           {}, [&latency_handed_over] { return static_cast<double>(latency_handed_over.load()); });
    const auto sum_workers = [&workers](std::uint64_t (UdpWorker::*counter)() const) {
        return [&workers, counter] {
            std::uint64_t total = 0;
            for (const auto& worker : workers) total += ((*worker).*counter)();
            return static_cast<double>(total);
        };
    };
    metrics.gauge_callback("udn_dns_cluster_persistence_adopted",
                           "Persistence entries other DNS servers handed over that this one took", {},
                           sum_workers(&UdpWorker::persistence_adopted));
    metrics.gauge_callback("udn_dns_cluster_latency_adopted",
                           "Client latency measurements other DNS servers handed over that this one took", {},
                           sum_workers(&UdpWorker::latency_adopted));
    metrics.gauge_callback(
        "udn_dns_udp_answers_unsent",
        "UDP answers the kernel refused to send (no route to the client, source port 0, ...); "
        "the rest of their batch was still sent",
        {}, sum_workers(&UdpWorker::unsent_answers));

    runtime::HttpServer admin({server->addresses.front().to_string(), initial.ports.dns_admin, "dns_admin"}, metrics);
    admin.add_route("GET", "/explain", [&shared](const runtime::HttpRequest& request) {
        const auto serving_now = shared.serving.get();
        auto type = query_parameter(request.query, "type");
        const auto result = explain_decision(*serving_now, &shared, query_parameter(request.query, "name"),
                                             query_parameter(request.query, "client"), type.empty() ? "A" : type,
                                             static_cast<std::int64_t>(report::unix_time_ms()));
        return runtime::HttpResponse::text(result.ok ? 200 : 400, result.text);
    });
    admin.start();
    if (query_log) query_log->start();
    for (auto& worker : workers) worker->start();
    tcp.start();
    probes.start();
    for (const auto& endpoint : endpoints) spdlog::info("dns: serving {} (udp, tcp)", endpoint.to_string());
    if (const auto& ring = serving->ring; ring && ring->size() > 1) {
        spdlog::info("dns: sharing client state with {} other dns servers (forwarding on port {}, timeout {} ms)",
                     ring->size() - 1, ring->port(), ring->forward_timeout_ms());
    }

    // Client-state handover (persistence, latency) after a push that moves client ownership: once
    // at the reload and once more a few seconds later, for a new owner that was still starting or
    // reloading at the first pass (an owner takes an entry only if it has none of its own as new).
    std::vector<std::chrono::steady_clock::time_point> handovers_due;
    const auto schedule_handovers = [&handovers_due] {
        const auto now = std::chrono::steady_clock::now();
        handovers_due = {now, now + std::chrono::seconds(5)};
    };
    // Set when a reload removed this server: its entries go to their owners in this ring.
    std::shared_ptr<const cluster::Ring> departing_to;

    // The client state is saved every dns.client_state_save_s (0: only at stop) and at stop.
    std::atomic<std::int64_t> client_state_saved_at_s{0};
    std::atomic<std::uint64_t> client_state_save_errors{0};
    metrics.gauge_callback("udn_dns_client_state_saved_at_seconds",
                           "When the client state (persistence, latency) was last saved to the state directory "
                           "(Unix time; 0: not yet)",
                           {}, [&client_state_saved_at_s] { return static_cast<double>(client_state_saved_at_s.load()); });
    metrics.gauge_callback("udn_dns_client_state_save_errors", "Saves of the client state that failed", {},
                           [&client_state_save_errors] { return static_cast<double>(client_state_save_errors.load()); });
    const auto save_state = [&] {
        const auto now_ms = static_cast<std::int64_t>(report::unix_time_ms());
        const auto started = std::chrono::steady_clock::now();
        const auto view = client_state_view(shared, latency_slots, *shared.serving.get()->config, now_ms);
        const auto saved = save_client_state(state_file, view, now_ms);
        if (saved.error) {
            ++client_state_save_errors;
            spdlog::error("dns: saving the client state failed: {}", *saved.error);
            return;
        }
        client_state_saved_at_s = now_ms / 1000;
        spdlog::info("dns: saved {} persistence windows and {} latency measurements to {} in {} ms", saved.persistence,
                     saved.latency, state_file.string(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                         .count());
    };
    auto last_save = std::chrono::steady_clock::now();

    while (true) {
        const auto event = signals.wait(std::chrono::seconds(1));
        spool.tick();
        if (event == runtime::SignalEvent::stop) break;
        const auto now = std::chrono::steady_clock::now();
        if (const auto every_s = shared.serving.get()->config->dns.client_state_save_s;
            every_s > 0 && now - last_save >= std::chrono::seconds(every_s)) {
            last_save = now;
            save_state();
        }
        if (!handovers_due.empty() && handovers_due.front() <= now) {
            handovers_due.erase(handovers_due.begin());
            const auto now_ms = static_cast<std::int64_t>(report::unix_time_ms());
            const auto serving_now = shared.serving.get();
            const auto source = client_state_view(shared, latency_slots, *serving_now->config, now_ms);
            std::optional<cluster::HandoverResult> result;
            if (const auto& ring = serving_now->ring; departing_to && ring) {
                result = cluster::hand_over_departing(*departing_to, ring->member(ring->self()).address, source,
                                                      now_ms);
            } else if (ring && ring->size() > 1) {
                result = cluster::hand_over(*ring, source, now_ms);
            }
            if (result) {
                persistence_handed_over += result->persistence_entries;
                latency_handed_over += result->latency_entries;
                spdlog::info("dns: handed {} persistence entries and {} latency measurements over to their new owners "
                             "({} datagrams, {} refused)",
                             result->persistence_entries, result->latency_entries, result->datagrams, result->failed);
            }
        }
        if (event != runtime::SignalEvent::reload) continue;
        const auto outcome = config.reload();
        spdlog::info("dns: reload: {}", outcome.message);
        // A new GeoIP database under the same path is a change too: operators replace the file.
        const auto running_geo = shared.serving.get()->geo;
        const bool geo_changed = running_geo && running_geo->file_changed();
        if (geo_changed) spdlog::info("dns: reload: {} changed on disk: reopening it", running_geo->path());
        if (!outcome.changed && !geo_changed) continue;
        std::vector<std::string> reload_errors;
        auto next = build_serving(config.current(), role.server, ++generation, reload_errors);
        if (!next) {
            spdlog::error("dns: new configuration not served, keeping the running one:\n{}", join(reload_errors));
            if (auto remaining = ring_without(*config.current(), role.server, shared.serving.get()->ring)) {
                spdlog::info("dns: this server was removed from the DNS servers: handing its clients' persistence "
                             "and latency over to the {} remaining", remaining->size());
                departing_to = std::move(remaining);
                schedule_handovers();
            }
            continue;
        }
        next = with_latency_slots(std::move(next), latency_slots, shared.latency);
        sink.rebuild(next);
        if (next->geo) spdlog::info("dns: GeoIP fallback from {} ({})", next->geo->path(), next->geo->database().description());
        const auto running = shared.serving.get();
        const bool moved = cluster::ownership_moved(running->ring.get(), next->ring.get());
        if (!cluster::same_members(running->ring.get(), next->ring.get())) {
            auto with = std::make_shared<ServingState>(*next);
            with->previous_ring = running->ring;
            with->previous_ring_until_ms = static_cast<std::int64_t>(report::unix_time_ms()) + cluster::departed_grace_ms;
            next = std::move(with);
        }
        departing_to = nullptr;
        shared.latency.set_staleness_s(next->config->probe.latency_staleness_s);
        shared.serving.replace(std::move(next));
        spdlog::info("dns: now serving configuration version {}", config.current()->version);
        if (moved) {
            schedule_handovers();
        }
    }
    spdlog::info("dns: stopping");
    probes.stop();
    tcp.stop();
    for (auto& worker : workers) worker->stop();
    save_state();  // after the workers: nothing changes it any more
    if (query_log) query_log->stop();
    admin.stop();
    spool.close_current();
    return 0;
}

}  // namespace udn::dns::server
