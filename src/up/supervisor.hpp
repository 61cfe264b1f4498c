// Runs child processes and keeps them running: restarts a child that exits with exponential
// backoff, stops them all cleanly (SIGTERM, wait, SIGKILL stragglers; no process left behind),
// and prints one status line per start, exit, restart and stop. Shared by `udn up` and
// `udn node`. Children run in their own process group (a Ctrl-C reaches only the supervisor,
// which then stops them in order) and get SIGTERM if the supervisor itself dies.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "up/backoff.hpp"

namespace udn::runtime {
class SignalWatcher;
}

namespace udn::up {

struct ChildSpec {
    std::string name;                // shown in status lines, e.g. "eu-ns1/dns"
    std::vector<std::string> argv;   // argv[0]: the executable's path
    std::filesystem::path log_path;  // stdout+stderr go here (truncated at first start); empty: inherit
};

struct ChildStatus {
    std::string name;
    pid_t pid = 0;          // 0 while not running
    unsigned restarts = 0;
};

struct SupervisorOptions {
    BackoffPolicy backoff;
    std::chrono::milliseconds stop_timeout{5000};  // SIGTERM -> SIGKILL
};

using StatusPrinter = std::function<void(const std::string& line)>;

class Supervisor {
public:
    Supervisor(SupervisorOptions options, StatusPrinter print);
    ~Supervisor();  // stop_all()
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    std::size_t add(ChildSpec spec);
    void start_all();
    // Reaps exited children and starts those whose backoff elapsed. Returns true when some
    // child's pid changed (so endpoints can be rewritten).
    bool poll();
    // Forwards a signal (SIGHUP) to every running child.
    void signal_all(int signal_number);
    // SIGTERM to every child, up to stop_timeout for them to exit, then SIGKILL; reaps all.
    void stop_all();

    std::vector<ChildStatus> status() const;

private:
    struct Child {
        ChildSpec spec;
        pid_t pid = 0;
        bool started_once = false;
        unsigned restarts = 0;
        Backoff backoff;
        std::chrono::steady_clock::time_point started_at{};
        std::chrono::steady_clock::time_point restart_at{};
        bool waiting = false;
    };
    void start(Child& child);
    void on_exit(Child& child, int wait_status);

    SupervisorOptions options_;
    StatusPrinter print_;
    std::vector<Child> children_;
    bool stopping_ = false;
};

// The supervisor's main loop: polls children every 100 ms until SIGTERM/SIGINT arrives through
// `signals`, forwards SIGHUP to every child, calls `on_change` after pids changed, then stops
// every child.
void run_until_stopped(Supervisor& supervisor, runtime::SignalWatcher& signals, const std::function<void()>& on_change);

// "exit 1", "killed by SIGSEGV", ... for a waitpid status.
std::string describe_wait_status(int wait_status);

}  // namespace udn::up
