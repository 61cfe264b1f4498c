// Registers the `udn` subcommands of the cache component (see src/cli/registrars.hpp):
// `udn cache` (the edge cache role), `udn admin flush` and `udn admin prefill`.
#include <CLI/CLI.hpp>

#include "cache/control/flush.hpp"
#include "cache/control/prefill.hpp"
#include "cache/control/run_cache.hpp"
#include "cli/registrars.hpp"

namespace udn::cache {

namespace {

void register_cache(CLI::App& root) {
    auto options = std::make_shared<control::RunOptions>();
    auto* command = root.add_subcommand("cache", "Run the HTTP edge cache of one server (memory tier, disk tier, origin fetch), or one of its two tiers");
    command->add_option("--config", options->config_path, "Configuration file (TOML)")->required();
    command->add_option("--server", options->server, "This server's name (pops[].servers[].name)")->required();
    command->add_option("--state-dir", options->state_dir, "State directory (default ./state/<server>)");
    command->add_option("--log-format", options->log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
    command->add_option("--threads", options->threads, "Worker threads, each with its own event loop (default 1)")
        ->check(CLI::Range(1, 64));
    command->add_option("--memory-mb", options->memory_mb, "Memory tier size in MiB (default 256; 16 for --tier disk)")
        ->check(CLI::Range(1, 1 << 20));
    command->add_option("--tier", options->tier,
                        "both: one process with both tiers; memory: a memory front asking a disk back; disk: the back, "
                        "on ports.cache_backend (default: both, unless the server's cache_tiers is two-process)")
        ->check(CLI::IsMember({"both", "memory", "disk"}));
    command->add_option("--backend", options->backend,
                        "--tier memory: the disk back's ADDRESS:PORT (default: this server's first address and "
                        "ports.cache_backend; its admin is on ports.cache_backend_admin of that address)");
    command->add_option("--disk-mb", options->disk_mb, "Disk tier size in MiB (default 1024; 0 = no disk tier)")
        ->check(CLI::Range(0, 1 << 24));
    command->add_option("--max-connections", options->max_connections, "Client connections before new ones get 503")
        ->check(CLI::Range(1, 1 << 20));
    command->add_option("--sendfile-below-kb", options->sendfile_below_kb,
                        "Hits on bodies of 64 KiB up to this size go out with sendfile(2), larger ones by copy "
                        "(default 256; 0 = always copy; measure on your NICs: docs/cache.md)")
        ->check(CLI::Range(0, 1 << 30));
    command->add_option("--request-timeout-ms", options->request_timeout_ms,
                        "A request head (or the next one on a keep-alive connection) must arrive within this")
        ->check(CLI::Range(100, 3600000));
    command->add_option("--host-alias", options->host_aliases,
                        "ALIAS=STATIC_NAME: also serve Host ALIAS as that configured static name (repeatable)");
    command->add_option("--http-port", options->http_port, "Override ports.http (e.g. an unprivileged port)");
    command->add_option("--admin-port", options->admin_port, "Override ports.cache_admin");
    command->add_option("--https-port", options->https_port,
                        "Override ports.https (HTTPS is served only when the configuration has certificates)");
    command->callback([options] {
        const int code = control::run_cache(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

void register_flush(CLI::App& admin) {
    auto options = std::make_shared<control::FlushOptions>();
    auto* command = admin.add_subcommand("flush", "Purge content from every cache of the network (both tiers)");
    command->add_option("--config", options->config_path, "Configuration file (TOML)")->required();
    command->add_option("target", options->target,
                        "What to purge: a URL (http://host/path), with --prefix a URL prefix, with --site a host name");
    command->add_flag("--prefix", options->prefix, "Purge every URL starting with TARGET");
    command->add_flag("--site", options->site, "Purge a whole site: TARGET is a host name");
    command->add_flag("--all", options->all, "Purge everything");
    command->add_option("--pop", options->pops, "Only the caches of these POPs (repeatable)");
    command->add_option("--timeout-ms", options->timeout_ms, "Per-cache timeout")->check(CLI::Range(100, 600000));
    command->callback([options] {
        const int code = control::run_flush(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

void register_prefill(CLI::App& admin) {
    auto options = std::make_shared<control::PrefillOptions>();
    auto* command = admin.add_subcommand("prefill", "Load caches with content: a URL list or a crawl from a start page");
    command->add_option("--config", options->config_path, "Configuration file (TOML)")->required();
    command->add_option("--urls", options->url_file, "File with one URL per line ('-' = stdin)");
    command->add_option("--start", options->start_url, "Start page to crawl within the same site");
    command->add_option("--depth", options->depth, "Crawl depth from the start page (default 2)")->check(CLI::Range(0, 10));
    command->add_option("--max-urls", options->max_urls, "Stop after this many URLs (default 1000)")->check(CLI::Range(1, 1000000));
    command->add_option("--pop", options->pops, "Only the caches of these POPs (repeatable; default all)");
    command->add_option("--timeout-ms", options->timeout_ms, "Per-request timeout")->check(CLI::Range(100, 600000));
    command->callback([options] {
        const int code = control::run_prefill(*options);
        if (code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace

void register_commands(CommandTree tree) {
    register_cache(tree.root);
    register_flush(tree.admin);
    register_prefill(tree.admin);
}

}  // namespace udn::cache
