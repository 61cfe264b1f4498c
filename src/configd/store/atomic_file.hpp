// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target,
// fsync the directory. A reader sees the old bytes or the new bytes, never a mix.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace udn::configd::store {

// Returns an error message, or nullopt on success.
std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace udn::configd::store
