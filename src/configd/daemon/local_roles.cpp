#include "configd/daemon/local_roles.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/runtime/atomic_file.hpp"
#include "common/runtime/signals.hpp"

namespace udn::configd::daemon {

std::vector<std::string> signal_local_roles(const std::filesystem::path& run_directory) {
    std::vector<std::string> lines;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(run_directory, error)) {
        if (entry.path().extension() != ".pid") continue;
        const auto text = runtime::read_file(entry.path()).value_or(std::string{});
        long pid = 0;
        const auto* end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data(), end, pid);
        if (parsed.ec != std::errc{} || pid <= 1) {
            lines.push_back(entry.path().string() + ": no pid in it, skipped");
            continue;
        }
        if (pid == ::getpid()) continue;
        // Every role holds its pid file locked while it runs (runtime::PidFile). A file nobody
        // holds is a leftover of a process that was killed; its pid may be another program's now.
        if (!runtime::pid_file_is_held(entry.path())) {
            lines.push_back(entry.path().string() + ": no running process holds it (pid " + std::to_string(pid) +
                            " ended without removing it), skipped");
            continue;
        }
        if (::kill(static_cast<pid_t>(pid), SIGHUP) == 0) {
            lines.push_back("reload sent to " + entry.path().stem().string() + " (pid " + std::to_string(pid) + ")");
        } else {
            lines.push_back("cannot signal " + entry.path().stem().string() + " (pid " + std::to_string(pid) +
                            "): " + std::strerror(errno));
        }
    }
    return lines;
}

}  // namespace udn::configd::daemon
