// The typed configuration schema: every key of every section is declared exactly once (in
// schema.cpp) with its type, allowed range, unit, reload scope and description. The loader applies
// it to the TOML tree; `udn check --schema` renders it as the reference in docs/configuration.md.
// Defaults are not repeated in the schema: they are the member initialisers in config.hpp, read
// from a default-constructed value when the reference is rendered.
#pragma once
#include <string>
#include <vector>

#include "common/config/loader.hpp"

namespace toml {
inline namespace v3 {
class node;
class table;
}  // namespace v3
}  // namespace toml

namespace udn::config::schema {

// Collects diagnostics while one file is applied to the schema.
class Context {
public:
    explicit Context(std::string file) : file_(std::move(file)) {}
    void error(int line, std::string what, std::string fix);
    void error(const toml::node& node, std::string what, std::string fix);
    std::vector<Diagnostic> take_errors() { return std::move(errors_); }
    bool has_errors() const { return !errors_.empty(); }

private:
    std::string file_;
    std::vector<Diagnostic> errors_;
};

int line_of(const toml::node& node);

// Applies the whole schema to a parsed document; every mistake becomes a diagnostic, valid keys
// are applied even when others are wrong, so one run reports every mistake.
void apply_root(const toml::table& document, Config& config, Context& context);

// The whole reference as Markdown.
std::string render_reference();

}  // namespace udn::config::schema
