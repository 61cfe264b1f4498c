// Seeding a server's role configuration; see seed.hpp.
#include "up/seed.hpp"

#include <stdexcept>

#include "common/config/loader.hpp"

namespace udn::up {

namespace fs = std::filesystem;

bool seed_role_config(const fs::path& source, const fs::path& destination, SeedMode mode) {
    if (mode == SeedMode::if_newer && fs::exists(destination)) {
        const auto current = config::load_file(destination);
        const auto given = config::load_file(source);
        if (current.ok() && given.ok() && given.config->version <= current.config->version) return false;
    }
    std::error_code error;
    fs::create_directories(destination.parent_path(), error);
    if (error) throw std::runtime_error("cannot create " + destination.parent_path().string() + ": " + error.message());
    const auto temporary = fs::path(destination.string() + ".tmp");
    fs::copy_file(source, temporary, fs::copy_options::overwrite_existing, error);
    if (!error) fs::rename(temporary, destination, error);
    if (error) throw std::runtime_error("cannot copy " + source.string() + " to " + destination.string() + ": " + error.message());
    return true;
}

}  // namespace udn::up
