// Entry point of the one `udn` executable: parses the command line and runs one role.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string_view>

#include "cli/registrars.hpp"
#include "common/version.hpp"

namespace {

bool has_subcommand(const CLI::App& app, std::string_view name) {
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->check_name(std::string{name})) return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    // Every role is a network server or client: a peer that closes its connection must cost one
    // failed send, never the process. Calls without MSG_NOSIGNAL (the cache's sendfile(2) of large
    // hits, write(2) on a socket) raise SIGPIPE otherwise: wrk closing its connections after a
    // benchmark run killed the cache. Set here, before any thread, so every role inherits it.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"udn — Universal Distribution Network: GSLB authoritative DNS + CDN edge cache"};
    app.set_version_flag("--version", std::string{udn::version_string});
    app.require_subcommand(1);
    auto* admin = app.add_subcommand("admin", "Operator's tool: push, status, rollback, flush, prefill, explain");
    admin->require_subcommand(1);
    udn::CommandTree tree{app, *admin};
    udn::cli::register_commands(tree);
    udn::dns::register_commands(tree);
    udn::cache::register_commands(tree);
    udn::probe::register_commands(tree);
    udn::configd::register_commands(tree);
    udn::origin::register_commands(tree);
    udn::up::register_commands(tree);
    if (argc > 1 && argv[1][0] != '-' && !has_subcommand(app, argv[1])) {
        std::fprintf(stderr, "udn: unknown command '%s' — run 'udn --help' for the list of commands\n", argv[1]);
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        // Control-path failures (bad config at start-up, a port in use, ...) end here with a clear message.
        std::fprintf(stderr, "udn: %s\n", e.what());
        return 1;
    }
    return 0;
}
