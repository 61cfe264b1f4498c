// What the demo origin reports on GET /load, so probes and the load agent have real numbers to
// read: this process's CPU use since the previous sample, its resident memory, the machine's
// load average, plus the server's connection and request counts.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace udn::origin {

struct LoadSample {
    double cpu_fraction = 0;      // CPU seconds per wall second since the previous sample (1.0 = one core)
    std::uint64_t rss_bytes = 0;  // resident memory of this process
    double load_average_1m = 0;   // the machine's
};

class LoadMeter {
public:
    LoadMeter();
    LoadSample sample();  // thread-safe

private:
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_wall_;
    double last_cpu_s_ = 0;
};

// {"name":...,"cpu":...,"mem_bytes":...,"load_1m":...,"connections":...,"requests":...}
std::string load_json(std::string_view name, const LoadSample& sample, std::size_t connections, std::uint64_t requests);

}  // namespace udn::origin
