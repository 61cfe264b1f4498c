// `udn check`: the subcommand that belongs to no single role. (`udn node` lives in src/up.)
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "cache/tls/check.hpp"
#include "cli/registrars.hpp"
#include "dns/geo/locator.hpp"
#include "common/config/loader.hpp"
#include "common/config/schema.hpp"

namespace udn::cli {
namespace {

constexpr int exit_invalid_config = 2;

struct CheckOptions {
    std::string file;
    bool print_schema = false;
    bool quiet = false;
};

void summarise(const config::Config& config) {
    std::size_t servers = 0;
    std::size_t domains = 0;
    for (const auto& pop : config.pops) servers += pop.servers.size();
    for (const auto& customer : config.customers) domains += customer.domains.size();
    std::printf("%s: ok — version %llu, %zu POPs, %zu servers, %zu customers, %zu names, sha256 %s\n",
                config.source_path.c_str(), static_cast<unsigned long long>(config.version), config.pops.size(),
                servers, config.customers.size(), domains, config.content_hash.c_str());
}

void run_check(const CheckOptions& options) {
    if (options.print_schema) {
        std::fputs(config::schema::render_reference().c_str(), stdout);
        return;
    }
    if (options.file.empty()) throw CLI::RequiredError("FILE");
    auto result = config::load_file(options.file);
    // Files the configuration names (the caches' certificates, the GeoIP database) are checked
    // here, not by the loader, which also runs where those files do not live (configd masters,
    // the fuzzer).
    if (result.ok()) {
        result.errors = cache::tls::check_certificates(*result.config);
        for (auto& problem : dns::geo::check_database(*result.config)) result.errors.push_back(std::move(problem));
    }
    if (!result.errors.empty()) {
        for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "%s: %zu error%s\n", options.file.c_str(), result.errors.size(),
                     result.errors.size() == 1 ? "" : "s");
        throw CLI::RuntimeError(exit_invalid_config);
    }
    if (!options.quiet) summarise(*result.config);
}

}  // namespace

void register_commands(CommandTree tree) {
    auto options = std::make_shared<CheckOptions>();
    auto* check = tree.root.add_subcommand(
        "check", "Validate a configuration file: prints file:line: what — how to fix, exits 2 on any mistake");
    check->add_option("FILE", options->file, "The configuration (TOML)");
    check->add_flag("--schema", options->print_schema, "Print the reference of every key (Markdown) and exit");
    check->add_flag("-q,--quiet", options->quiet, "Print nothing when the file is valid");
    check->callback([options] { run_check(*options); });
}

}  // namespace udn::cli
