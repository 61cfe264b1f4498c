// Fuzzes the configuration loader: any bytes must yield a config or diagnostics, never a crash,
// hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = udn::config::load_string(text, "fuzz.toml");
    if (!result.ok() && result.errors.empty()) __builtin_trap();  // a failure must say why
    return 0;
}
