// Process CPU, memory and machine load for GET /load; see load_meter.hpp.
#include "origin/load_meter.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace udn::origin {
namespace {

double process_cpu_s() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& time) { return static_cast<double>(time.tv_sec) + time.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t total_pages = 0;
    std::uint64_t resident_pages = 0;
    statm >> total_pages >> resident_pages;
    return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

double load_average_1m() {
    std::ifstream loadavg("/proc/loadavg");
    double one_minute = 0;
    loadavg >> one_minute;
    return one_minute;
}

}  // namespace

LoadMeter::LoadMeter() : last_wall_(std::chrono::steady_clock::now()), last_cpu_s_(process_cpu_s()) {}

LoadSample LoadMeter::sample() {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const double cpu_s = process_cpu_s();
    const double wall_s = std::chrono::duration<double>(now - last_wall_).count();
    LoadSample sample;
    sample.cpu_fraction = wall_s > 0 ? (cpu_s - last_cpu_s_) / wall_s : 0;
    sample.rss_bytes = resident_bytes();
    sample.load_average_1m = load_average_1m();
    last_wall_ = now;
    last_cpu_s_ = cpu_s;
    return sample;
}

std::string load_json(std::string_view name, const LoadSample& sample, std::size_t connections, std::uint64_t requests) {
    nlohmann::ordered_json json;
    json["name"] = name;
    json["cpu"] = sample.cpu_fraction;
    json["mem_bytes"] = sample.rss_bytes;
    json["load_1m"] = sample.load_average_1m;
    json["connections"] = connections;
    json["requests"] = requests;
    return json.dump();
}

}  // namespace udn::origin
