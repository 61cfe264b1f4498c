#include "common/config/loader.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/config/schema.hpp"
#include "common/crypto/sha256.hpp"
#include "common/config/validate.hpp"

namespace udn::config {
namespace {

// Files larger than this are not configurations; refusing them keeps a typo'd path (a disk image,
// a log) from eating memory.
constexpr std::size_t max_config_bytes = 64 * 1024 * 1024;

}  // namespace

std::string Diagnostic::to_string() const {
    // A mistake with no single place (a missing section) has no line to point at.
    const std::string place = line > 0 ? file + ":" + std::to_string(line) : file;
    return place + ": " + what + " — " + fix;
}

std::string LoadResult::error_text() const {
    std::string out;
    for (const auto& error : errors) out += error.to_string() + "\n";
    return out;
}

LoadResult load_string(std::string_view text, std::string source_name) {
    LoadResult result;
    schema::Context context(source_name);
    if (text.size() > max_config_bytes) {
        context.error(0, "the file is larger than 64 MiB", "is this the right file? configurations are small");
        result.errors = context.take_errors();
        return result;
    }
    toml::table document;
    try {
        // The distribution's toml++ is built with exceptions; the parse error is the only one it throws.
        document = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        context.error(static_cast<int>(error.source().begin.line),
                      "TOML syntax error: " + std::string{error.description()},
                      "fix the syntax there (strings need quotes, tables are [name], arrays [a, b])");
        result.errors = context.take_errors();
        return result;
    }
    auto config = std::make_shared<Config>();
    schema::apply_root(document, *config, context);
    // Fill what the loader owns: each server's POP, the content hash, where it came from.
    for (auto& pop : config->pops) {
        for (auto& server : pop.servers) server.pop = pop.name;
    }
    config->content_hash = crypto::sha256_hex(text);
    config->source_path = source_name;
    // Cross-reference checks only make sense on a tree whose keys parsed; they still run when
    // some keys failed, so one run reports as much as possible.
    validate(*config, context);
    result.errors = context.take_errors();
    if (result.errors.empty()) result.config = std::move(config);
    return result;
}

LoadResult load_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        LoadResult result;
        result.errors.push_back(Diagnostic{path.string(), 0, "cannot open the file",
                                           "check the path and that it is readable"});
        return result;
    }
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return load_string(bytes.str(), path.string());
}

std::shared_ptr<const Config> load_file_or_throw(const std::filesystem::path& path) {
    auto result = load_file(path);
    if (!result.ok()) throw std::runtime_error("invalid configuration:\n" + result.error_text());
    return result.config;
}

}  // namespace udn::config
