// Locating the examples directory; see share.hpp.
#include "up/share.hpp"

#include <cstdlib>

namespace udn::up {
namespace {

namespace fs = std::filesystem;

bool holds_demo(const fs::path& directory) {
    std::error_code ignored;
    return fs::is_regular_file(directory / "demo.toml", ignored);
}

}  // namespace

std::optional<fs::path> find_examples_dir() {
    if (const char* configured = std::getenv("UDN_EXAMPLES_DIR"); configured != nullptr && holds_demo(configured)) {
        return fs::path(configured);
    }
    std::error_code error;
    const auto executable = fs::read_symlink("/proc/self/exe", error);
    if (!error) {
        auto directory = executable.parent_path();
        for (int level = 0; level <= 5 && !directory.empty(); ++level) {
            if (holds_demo(directory / "examples")) return directory / "examples";
            if (directory == directory.parent_path()) break;
            directory = directory.parent_path();
        }
        const auto installed = executable.parent_path().parent_path() / "share" / "udn" / "examples";
        if (holds_demo(installed)) return installed;
    }
    if (holds_demo("examples")) return fs::absolute("examples", error);
    return std::nullopt;
}

}  // namespace udn::up
