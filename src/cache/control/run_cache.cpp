// `udn cache` start-up, signals and reload; see run_cache.hpp.
#include "cache/control/run_cache.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "cache/server/cache_server.hpp"
#include "cache/tiers/chain.hpp"
#include "cache/tls/certificates.hpp"
#include "common/config/reloadable.hpp"
#include "common/runtime/signals.hpp"

namespace udn::cache::control {

namespace {

void say(const RunOptions& options, std::string_view level, const std::string& message) {
    if (options.log_format == "json") {
        std::string escaped;
        for (const char c : message) {
            if (c == '"' || c == '\\') escaped += '\\';
            if (c == '\n') escaped += "\\n";
            else escaped += c;
        }
        std::fprintf(stderr, "{\"role\":\"cache\",\"level\":\"%.*s\",\"msg\":\"%s\"}\n", static_cast<int>(level.size()),
                     level.data(), escaped.c_str());
    } else {
        std::fprintf(stderr, "udn cache: %.*s: %s\n", static_cast<int>(level.size()), level.data(), message.c_str());
    }
}

}  // namespace

int run_cache(const RunOptions& options) {
    std::unique_ptr<config::ReloadableConfig> reloadable;
    try {
        reloadable = std::make_unique<config::ReloadableConfig>(options.config_path);
    } catch (const std::exception& e) {
        say(options, "error", std::string("configuration rejected:\n") + e.what());
        return 1;
    }
    const auto config = reloadable->current();
    const auto* server = config->find_server(options.server);
    if (!server) {
        say(options, "error", "no server named '" + options.server + "' in " + options.config_path +
                                  " — use one of pops[].servers[].name");
        return 1;
    }
    if (server->addresses.empty()) {
        say(options, "error", "server '" + options.server + "' has no address");
        return 1;
    }
    const std::filesystem::path state_dir = options.state_dir.empty() ? std::filesystem::path("state") / options.server
                                                                      : std::filesystem::path(options.state_dir);
    std::string tier = options.tier;
    if (tier.empty()) {
        if (server->cache_tiers == config::CacheTiers::two_process) {
            say(options, "error", "server '" + server->name + "' runs its cache tiers as two processes (cache_tiers = "
                                  "\"two-process\"): start `udn cache --tier disk` (the back) and `udn cache --tier memory` "
                                  "(the front), as `udn up` and `udn node` do, or pass --tier both");
            return 2;
        }
        tier = "both";
    }
    const bool front = tier == "memory";
    const bool back = tier == "disk";
    if (!options.backend.empty() && !front) {
        say(options, "error", "--backend is the disk back a memory front asks: it needs --tier memory");
        return 2;
    }
    const std::string role_name = back ? "cache-disk" : "cache";  // pid file and spool of this process
    server::Settings settings;
    settings.pop = server->pop;
    settings.server_name = server->name;
    settings.listen_address = server->addresses.front().to_string();
    settings.http_port = options.http_port.value_or(back ? config->ports.cache_backend : config->ports.http);
    settings.admin_port = options.admin_port.value_or(back ? config->ports.cache_backend_admin : config->ports.cache_admin);
    settings.threads = options.threads;
    settings.memory_bytes = options.memory_mb.value_or(back ? 16 : 256) << 20;
    settings.max_connections = options.max_connections;
    settings.sendfile_below_bytes = options.sendfile_below_kb * 1024;
    settings.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
    settings.body_timeout = settings.request_timeout;
    // The front keeps no disk tier; the back's is where the one-process cache keeps its own,
    // so switching a server between the two forms keeps what it has stored.
    if (options.disk_mb > 0 && !front) {
        settings.disk_dir = state_dir / "cache";
        settings.disk_bytes = options.disk_mb << 20;
    }
    settings.spool_dir = state_dir / "spool" / role_name;
    settings.spool_max_bytes = config->logs.spool_max_bytes;
    settings.spool_max_age_s = config->logs.spool_max_age_s;
    settings.admin_key = config->network.report_key;
    settings.trust_forwarded_for = back;
    if (front || back) settings.cache_status_name = "udn-" + server->pop + (front ? "-mem" : "-disk");
    if (front) {
        if (options.backend.empty()) {
            settings.backend_host = settings.listen_address;
            settings.backend_port = config->ports.cache_backend;
        } else {
            std::string error;
            const auto parsed = tiers::parse_host_port(options.backend, error);
            if (!parsed) {
                say(options, "error", "--backend " + error);
                return 2;
            }
            settings.backend_host = parsed->host;
            settings.backend_port = parsed->port;
        }
        settings.backend_admin_port = config->ports.cache_backend_admin;
        settings.notify = [&options](std::string_view level, const std::string& message) { say(options, level, message); };
    }

    // HTTPS: listen only when the configuration has certificates at start-up, so that networks
    // without any never need port 443. The disk back serves only its fronts, over plain HTTP.
    const auto ticket_keys = tls::make_ticket_keys();
    std::vector<config::Diagnostic> problems;
    auto certificates = tls::CertificateSet::build(*config, ticket_keys, problems);
    if (!problems.empty()) {
        std::string text;
        for (const auto& problem : problems) text += problem.to_string() + "\n";
        say(options, "error", "HTTPS certificates rejected:\n" + text);
        return 1;
    }
    settings.https = !certificates->empty() && !back;
    settings.https_port = options.https_port.value_or(config->ports.https);

    std::vector<std::pair<std::string, std::string>> aliases;
    for (const auto& alias : options.host_aliases) {
        const auto equals = alias.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == alias.size()) {
            say(options, "error", "--host-alias '" + alias + "': expected ALIAS=STATIC_NAME, e.g. 127.0.0.1=www.example.com");
            return 2;
        }
        aliases.emplace_back(alias.substr(0, equals), alias.substr(equals + 1));
    }

    // Signals are taken synchronously by this thread; workers must not see them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // Before the disk tier opens: two caches on one state directory would overwrite each other's
    // stored objects and spool.
    std::optional<runtime::PidFile> pid_file;
    try {
        pid_file.emplace(state_dir, role_name);
    } catch (const std::exception& e) {
        say(options, "error", e.what());
        return 1;
    }
    std::unique_ptr<server::CacheServer> cache;
    try {
        cache = std::make_unique<server::CacheServer>(settings,
                                                      std::make_shared<const server::RouteTable>(config, settings.pop, aliases));
        cache->replace_certificates(certificates);
        cache->start();
    } catch (const std::exception& e) {
        say(options, "error", e.what());
        return 1;
    }
    const std::string form = front ? "memory front of the disk back " + cache->context().backend->name() + ", "
                             : back ? "disk back, "
                                    : "";
    say(options, "info", "serving " + form + server->name + " (pop " + settings.pop + ") on " + settings.listen_address + ":" +
                             std::to_string(cache->http_port()) + ", admin on port " +
                             std::to_string(cache->admin_port()) +
                             (settings.https ? ", https on port " + std::to_string(cache->https_port()) + " (" +
                                                   std::to_string(certificates->certificate_count()) + " certificates)"
                                             : std::string()) +
                             ", " +
                             std::to_string(cache->context().routes.get()->site_count()) + " static sites");
    while (true) {
        int signal_number = 0;
        if (sigwait(&signals, &signal_number) != 0) continue;
        if (signal_number != SIGHUP) break;
        const auto outcome = reloadable->reload();
        if (outcome.changed) {
            cache->replace_routes(std::make_shared<const server::RouteTable>(reloadable->current(), settings.pop, aliases));
        }
        say(options, outcome.changed ? "info" : "warning", outcome.message);
        {
            // Certificate files are re-read on every SIGHUP, also when the configuration is
            // unchanged: renewing a certificate in place is the common case.
            std::vector<config::Diagnostic> tls_problems;
            auto next = tls::CertificateSet::build(*reloadable->current(), ticket_keys, tls_problems);
            if (tls_problems.empty()) {
                if (!settings.https && !next->empty() && !back) {
                    say(options, "warning", "certificates were added: restart the cache to open the HTTPS port");
                }
                if (!next->empty()) {
                    say(options, "info", "HTTPS certificates reloaded: " + std::to_string(next->certificate_count()));
                }
                cache->replace_certificates(std::move(next));
            } else {
                std::string text;
                for (const auto& problem : tls_problems) text += problem.to_string() + "\n";
                say(options, "error", "new HTTPS certificates rejected, the previous ones stay in use:\n" + text);
            }
        }
    }
    cache->stop();
    say(options, "info", "stopped");
    return 0;
}

}  // namespace udn::cache::control
