// Measures this machine's load for the load agent: CPU use (from /proc/stat deltas), memory
// and swap use (/proc/meminfo), the fullest watched filesystem (statvfs) and established TCP
// connections (/proc/net/tcp, tcp6). The parsers take text so tests can feed fixed samples.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/report/message.hpp"

namespace udn::probe::loadp {

struct CpuTimes {
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
};

// The aggregate "cpu" line of /proc/stat.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
// Busy share between two samples, permille; 0 when no time passed.
std::uint16_t cpu_permille(const CpuTimes& before, const CpuTimes& after);

struct MemoryUse {
    std::uint16_t memory_permille = 0;  // 1 - MemAvailable / MemTotal
    std::uint16_t swap_permille = 0;    // 1 - SwapFree / SwapTotal; 0 without swap
};
std::optional<MemoryUse> parse_meminfo(std::string_view text);

// Lines of /proc/net/tcp or tcp6 in state 01 (ESTABLISHED).
std::uint32_t count_established(std::string_view proc_net_tcp);

// Used share of the fullest of `paths`, permille (statvfs: 1 - f_bavail / f_blocks).
std::uint16_t disk_permille(const std::vector<std::filesystem::path>& paths);

// Operator override: "key = value" lines (cpu, memory, swap, disk in permille; connections)
// replacing measured values, e.g. to drain a server or to test load-based routing.
// Unknown keys and bad numbers are ignored and named in `errors`.
void apply_overrides(std::string_view text, report::LoadSample& sample, std::vector<std::string>* errors = nullptr);

class Sampler {
public:
    Sampler(std::vector<std::filesystem::path> disk_paths, std::optional<std::filesystem::path> override_file)
        : disk_paths_(std::move(disk_paths)), override_file_(std::move(override_file)) {}

    // Reads everything afresh; CPU is measured since the previous call (first call: since boot).
    report::LoadSample sample();

private:
    std::vector<std::filesystem::path> disk_paths_;
    std::optional<std::filesystem::path> override_file_;
    CpuTimes previous_cpu_{};
};

}  // namespace udn::probe::loadp
