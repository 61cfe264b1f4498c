// Finds the files `udn up` needs when given none (examples/demo.toml, examples/site/,
// examples/demo-admin.key), whether udn runs from a build tree or an installation.
#pragma once
#include <filesystem>
#include <optional>

namespace udn::up {

// The first directory holding demo.toml among: $UDN_EXAMPLES_DIR; examples/ next to the
// executable or in any of its 5 parent directories (a build tree: build/release/udn); the
// installed <prefix>/share/udn/examples (executable in <prefix>/bin); ./examples.
std::optional<std::filesystem::path> find_examples_dir();

}  // namespace udn::up
