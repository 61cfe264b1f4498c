// Loads the configuration tree from TOML and validates it against the schema (schema.hpp):
// every mistake becomes a Diagnostic that names the file, the line, what is wrong and how
// to fix it. Never throws and never crashes on any input (fuzz/config_loader_fuzz.cpp).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"

namespace udn::config {

struct Diagnostic {
    std::string file;
    int line = 0;  // 0 when the mistake has no single place (e.g. a missing section)
    std::string what;
    std::string fix;
    // "file:line: what — fix"
    std::string to_string() const;
};

struct LoadResult {
    std::shared_ptr<const Config> config;  // null when errors is not empty
    std::vector<Diagnostic> errors;
    bool ok() const { return config != nullptr; }
    // All diagnostics, one per line (for exceptions and logs).
    std::string error_text() const;
};

LoadResult load_file(const std::filesystem::path& path);
LoadResult load_string(std::string_view text, std::string source_name);

// For the control path: returns the config or throws std::runtime_error with every diagnostic.
std::shared_ptr<const Config> load_file_or_throw(const std::filesystem::path& path);

}  // namespace udn::config
