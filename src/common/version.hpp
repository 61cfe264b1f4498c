// The version every role reports (--version, /metrics, logs).
#pragma once
#include <string_view>

namespace udn {
inline constexpr std::string_view version_string = "0.1.0";
}
