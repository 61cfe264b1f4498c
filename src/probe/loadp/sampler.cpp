#include "probe/loadp/sampler.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace udn::probe::loadp {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

template <class Each>
void for_each_line(std::string_view text, Each each) {
    while (!text.empty()) {
        const auto end = text.find('\n');
        each(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

std::uint16_t permille(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return 0;
    return static_cast<std::uint16_t>(std::min<std::uint64_t>(1000, part * 1000 / whole));
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
    if (text.rfind("cpu ", 0) != 0) return std::nullopt;
    text = text.substr(0, text.find('\n'));
    text.remove_prefix(4);
    std::vector<std::uint64_t> fields;
    while (!text.empty()) {
        text = trim(text);
        const auto end = text.find(' ');
        if (auto value = number(text.substr(0, end))) fields.push_back(*value);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end);
    }
    if (fields.size() < 4) return std::nullopt;
    CpuTimes times;
    // user nice system idle iowait irq softirq steal (guest is already in user)
    for (std::size_t i = 0; i < std::min<std::size_t>(fields.size(), 8); ++i) times.total += fields[i];
    const auto idle = fields[3] + (fields.size() > 4 ? fields[4] : 0);
    times.busy = times.total - idle;
    return times;
}

std::uint16_t cpu_permille(const CpuTimes& before, const CpuTimes& after) {
    if (after.total <= before.total || after.busy < before.busy) return 0;
    return permille(after.busy - before.busy, after.total - before.total);
}

std::optional<MemoryUse> parse_meminfo(std::string_view text) {
    std::optional<std::uint64_t> total, available, swap_total, swap_free;
    for_each_line(text, [&](std::string_view line) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return;
        const auto key = line.substr(0, colon);
        auto value_text = trim(line.substr(colon + 1));
        value_text = value_text.substr(0, value_text.find(' '));
        const auto value = number(value_text);
        if (key == "MemTotal") total = value;
        if (key == "MemAvailable") available = value;
        if (key == "SwapTotal") swap_total = value;
        if (key == "SwapFree") swap_free = value;
    });
    if (!total || !available || *total == 0) return std::nullopt;
    MemoryUse use;
    use.memory_permille = permille(*total - std::min(*total, *available), *total);
    if (swap_total && swap_free && *swap_total > 0) {
        use.swap_permille = permille(*swap_total - std::min(*swap_total, *swap_free), *swap_total);
    }
    return use;
}

std::uint32_t count_established(std::string_view proc_net_tcp) {
    std::uint32_t count = 0;
    bool header = true;
    for_each_line(proc_net_tcp, [&](std::string_view line) {
        if (header) {
            header = false;
            return;
        }
        // "  sl  local_address rem_address   st ..." — the 4th column is the state.
        line = trim(line);
        for (int column = 0; column < 3; ++column) {
            const auto space = line.find(' ');
            if (space == std::string_view::npos) return;
            line = trim(line.substr(space));
        }
        if (line.rfind("01 ", 0) == 0 || line == "01") ++count;
    });
    return count;
}

std::uint16_t disk_permille(const std::vector<std::filesystem::path>& paths) {
    std::uint16_t fullest = 0;
    for (const auto& path : paths) {
        struct statvfs stats {};
        if (::statvfs(path.c_str(), &stats) != 0 || stats.f_blocks == 0) continue;
        fullest = std::max(fullest, permille(stats.f_blocks - std::min(stats.f_blocks, stats.f_bavail), stats.f_blocks));
    }
    return fullest;
}

void apply_overrides(std::string_view text, report::LoadSample& sample, std::vector<std::string>* errors) {
    for_each_line(text, [&](std::string_view line) {
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) return;
        const auto equals = line.find('=');
        const auto key = trim(line.substr(0, equals));
        const auto value = equals == std::string_view::npos ? std::nullopt : number(trim(line.substr(equals + 1)));
        const auto capped = value ? static_cast<std::uint16_t>(std::min<std::uint64_t>(*value, 1000)) : 0;
        if (value && key == "cpu") {
            sample.cpu_permille = capped;
        } else if (value && key == "memory") {
            sample.memory_permille = capped;
        } else if (value && key == "swap") {
            sample.swap_permille = capped;
        } else if (value && key == "disk") {
            sample.disk_permille = capped;
        } else if (value && key == "connections") {
            sample.connections = static_cast<std::uint32_t>(std::min<std::uint64_t>(*value, UINT32_MAX));
        } else if (errors) {
            errors->push_back("ignored override line \"" + std::string(line) +
                              "\" — expected cpu|memory|swap|disk|connections = <integer>");
        }
    });
}

report::LoadSample Sampler::sample() {
    report::LoadSample sample;
    if (auto cpu = parse_proc_stat(read_file("/proc/stat"))) {
        sample.cpu_permille = cpu_permille(previous_cpu_, *cpu);
        previous_cpu_ = *cpu;
    }
    if (auto memory = parse_meminfo(read_file("/proc/meminfo"))) {
        sample.memory_permille = memory->memory_permille;
        sample.swap_permille = memory->swap_permille;
    }
    sample.disk_permille = disk_permille(disk_paths_);
    sample.connections = count_established(read_file("/proc/net/tcp")) + count_established(read_file("/proc/net/tcp6"));
    if (override_file_ && std::filesystem::exists(*override_file_)) apply_overrides(read_file(*override_file_), sample);
    return sample;
}

}  // namespace udn::probe::loadp
