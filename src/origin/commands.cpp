// `udn origin`: the built-in demo web server that `udn up` runs for every customer origin.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>

#include "cli/registrars.hpp"
#include "common/net/ip_address.hpp"
#include "common/runtime/http_server.hpp"
#include "common/runtime/logging.hpp"
#include "common/runtime/metrics.hpp"
#include "common/runtime/signals.hpp"
#include "origin/file_server.hpp"
#include "origin/load_meter.hpp"

namespace udn::origin {
namespace {

struct OriginOptions {
    std::string root;
    std::string listen;
    std::string name = "origin";
    std::string admin;
    std::uint32_t max_age_s = 60;
    std::string log_format = "text";
};

net::Endpoint parse_endpoint_or_throw(const std::string& text, std::string_view option) {
    const auto endpoint = net::Endpoint::parse(text);
    if (!endpoint) {
        throw std::runtime_error(fmt::format("{} '{}' is not ADDRESS:PORT (e.g. 127.0.9.1:8080 or [::1]:8080)", option, text));
    }
    return *endpoint;
}

runtime::HttpServerOptions listener(const net::Endpoint& endpoint, std::string name) {
    runtime::HttpServerOptions options;
    options.address = endpoint.address.to_string();
    options.port = endpoint.port;
    options.name = std::move(name);
    options.max_connections = 256;
    return options;
}

// Requests by status class, registered once so that counting never touches the registry's lock.
class StatusCounters {
public:
    explicit StatusCounters(runtime::Registry& registry) {
        for (std::size_t i = 0; i < counters_.size(); ++i) {
            counters_[i] = &registry.counter("udn_origin_requests_total", "Requests answered by the demo origin",
                                             {{"code", std::to_string(i + 1) + "xx"}});
        }
    }
    void count(int status) {
        const auto index = static_cast<std::size_t>(std::clamp(status / 100, 1, 5) - 1);
        counters_[index]->add();
    }

private:
    std::array<runtime::Counter*, 5> counters_{};
};

int run_origin(const OriginOptions& options) {
    runtime::SignalWatcher signals;  // first: threads started below inherit the blocked signals
    const auto format = runtime::parse_log_format(options.log_format);
    runtime::setup_logging({"origin", options.name, format.value_or(runtime::LogFormat::text), runtime::LogLevel::info});

    const auto site_endpoint = parse_endpoint_or_throw(options.listen, "--listen");
    std::optional<net::Endpoint> admin_endpoint;
    if (!options.admin.empty()) admin_endpoint = parse_endpoint_or_throw(options.admin, "--admin");

    runtime::Registry registry;
    StatusCounters statuses(registry);
    LoadMeter meter;
    const FileServer files({options.root, options.max_age_s, options.name});

    runtime::HttpServer site(listener(site_endpoint, "origin"), registry);
    const auto load = [&](const runtime::HttpRequest&) {
        return runtime::HttpResponse::json(
            200, load_json(options.name, meter.sample(), site.open_connections(), site.requests_served()));
    };
    const auto metrics = [&](const runtime::HttpRequest&) {
        return runtime::HttpResponse{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                                     registry.render_prometheus()};
    };
    // One route with exact paths, so that /healthy.html or /loader.js stay ordinary files.
    site.add_route("*", "/", [&](const runtime::HttpRequest& request) {
        const bool get = request.method == "GET" || request.method == "HEAD";
        auto response = get && request.path == "/health"    ? runtime::HttpResponse::text(200, "ok\n")
                        : get && request.path == "/load"    ? load(request)
                        : get && request.path == "/metrics" ? metrics(request)
                                                            : files.handle(request);
        statuses.count(response.status);
        return response;
    });
    site.start();

    std::optional<runtime::HttpServer> admin;
    if (admin_endpoint) {
        admin.emplace(listener(*admin_endpoint, "origin_admin"), registry);
        admin->add_route("GET", "/load", load);
        admin->start();
    }
    runtime::log_fields(runtime::LogLevel::info, "demo origin serving",
                        {{"root", options.root}, {"listen", site_endpoint.to_string()},
                         {"admin", admin_endpoint ? admin_endpoint->to_string() : "-"}});
    while (true) {
        const auto event = signals.wait(std::chrono::seconds(1));
        if (event == runtime::SignalEvent::stop) break;
        if (event == runtime::SignalEvent::reload) spdlog::info("SIGHUP: the demo origin has nothing to reload");
    }
    spdlog::info("stopping");
    if (admin) admin->stop();
    site.stop();
    return 0;
}

}  // namespace

void register_commands(CommandTree tree) {
    auto options = std::make_shared<OriginOptions>();
    auto* command = tree.root.add_subcommand("origin", "Demo origin web server: serves a site directory, reports its load");
    command->add_option("--root", options->root, "Site directory to serve (e.g. examples/site)")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("--listen", options->listen, "ADDRESS:PORT to serve HTTP on")->required();
    command->add_option("--name", options->name, "Name shown in logs, /load and the X-Served-By header");
    command->add_option("--admin", options->admin, "Optional ADDRESS:PORT for /metrics, /healthz and /load");
    command->add_option("--max-age-s", options->max_age_s, "Cache-Control max-age of served files, seconds");
    command->add_option("--log-format", options->log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
    command->callback([options] {
        const int code = run_origin(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace udn::origin
