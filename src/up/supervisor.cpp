// fork/exec supervision of child processes; see supervisor.hpp.
#include "up/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <thread>

#include "common/runtime/signals.hpp"

namespace udn::up {
namespace {

double seconds(std::chrono::steady_clock::duration duration) {
    return std::chrono::duration<double>(duration).count();
}

// Everything between fork and exec must be async-signal-safe: argv is built before the fork.
[[noreturn]] void exec_child(pid_t parent, int log_fd, int null_fd, char* const* argv) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the supervisor died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the supervisor blocks TERM/INT/HUP; roles must not
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
    }
    ::execv(argv[0], argv);
    static const char message[] = "udn supervisor: exec failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
}

}  // namespace

std::string describe_wait_status(int wait_status) {
    if (WIFEXITED(wait_status)) return fmt::format("exit {}", WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        const char* name = sigabbrev_np(WTERMSIG(wait_status));
        return name != nullptr ? fmt::format("killed by SIG{}", name) : fmt::format("killed by signal {}", WTERMSIG(wait_status));
    }
    return fmt::format("status {}", wait_status);
}

Supervisor::Supervisor(SupervisorOptions options, StatusPrinter print)
    : options_(options), print_(std::move(print)) {}

Supervisor::~Supervisor() { stop_all(); }

std::size_t Supervisor::add(ChildSpec spec) {
    children_.push_back(Child{std::move(spec), 0, false, 0, Backoff(options_.backoff), {}, {}, false});
    return children_.size() - 1;
}

void Supervisor::start_all() {
    for (auto& child : children_) start(child);
}

void Supervisor::start(Child& child) {
    child.waiting = false;
    int log_fd = -1;
    if (!child.spec.log_path.empty()) {
        const int truncate = child.started_once ? O_APPEND : O_TRUNC;
        log_fd = ::open(child.spec.log_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | truncate, 0644);
        if (log_fd < 0) {
            print_(fmt::format("cannot open {} for {}: {}", child.spec.log_path.string(), child.spec.name, strerror(errno)));
        }
    }
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::vector<char*> argv;
    for (auto& argument : child.spec.argv) argv.push_back(argument.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) exec_child(parent, log_fd, null_fd, argv.data());
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    const bool restart = child.started_once;
    child.started_once = true;
    child.started_at = std::chrono::steady_clock::now();
    if (pid < 0) {
        print_(fmt::format("cannot start {}: fork: {}", child.spec.name, strerror(errno)));
        child.pid = 0;
        child.waiting = true;
        child.restart_at = child.started_at + child.backoff.next_delay(std::chrono::milliseconds(0));
        return;
    }
    child.pid = pid;
    if (restart) ++child.restarts;
    print_(fmt::format("{} {} pid {}", restart ? "restarted" : "started", child.spec.name, pid));
}

void Supervisor::on_exit(Child& child, int wait_status) {
    const auto now = std::chrono::steady_clock::now();
    const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - child.started_at);
    const auto delay = child.backoff.next_delay(ran_for);
    print_(fmt::format("exited {} pid {} ({}) after {:.1f} s; restart in {:.2f} s", child.spec.name, child.pid,
                       describe_wait_status(wait_status), seconds(ran_for), seconds(delay)));
    child.pid = 0;
    child.waiting = true;
    child.restart_at = now + delay;
}

bool Supervisor::poll() {
    if (stopping_) return false;
    bool changed = false;
    for (auto& child : children_) {
        if (child.pid > 0) {
            int wait_status = 0;
            if (::waitpid(child.pid, &wait_status, WNOHANG) == child.pid) {
                on_exit(child, wait_status);
                changed = true;
            }
        }
        if (child.waiting && std::chrono::steady_clock::now() >= child.restart_at) {
            start(child);
            changed = true;
        }
    }
    return changed;
}

void Supervisor::signal_all(int signal_number) {
    for (const auto& child : children_) {
        if (child.pid > 0) ::kill(child.pid, signal_number);
    }
}

void Supervisor::stop_all() {
    stopping_ = true;
    for (auto& child : children_) {
        child.waiting = false;
        if (child.pid > 0) ::kill(child.pid, SIGTERM);
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    bool killed = false;
    while (true) {
        bool running = false;
        for (auto& child : children_) {
            if (child.pid <= 0) continue;
            int wait_status = 0;
            const pid_t reaped = ::waitpid(child.pid, &wait_status, killed ? 0 : WNOHANG);
            if (reaped == child.pid || (reaped < 0 && errno == ECHILD)) {
                print_(fmt::format("stopped {} pid {} ({})", child.spec.name, child.pid, describe_wait_status(wait_status)));
                child.pid = 0;
            } else {
                running = true;
            }
        }
        if (!running) return;
        if (!killed && std::chrono::steady_clock::now() >= deadline) {
            for (auto& child : children_) {
                if (child.pid <= 0) continue;
                print_(fmt::format("{} pid {} ignored SIGTERM for {:.1f} s: SIGKILL", child.spec.name, child.pid,
                                   seconds(options_.stop_timeout)));
                ::kill(child.pid, SIGKILL);
            }
            killed = true;
        }
        if (!killed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::vector<ChildStatus> Supervisor::status() const {
    std::vector<ChildStatus> out;
    for (const auto& child : children_) out.push_back({child.spec.name, child.pid, child.restarts});
    return out;
}

void run_until_stopped(Supervisor& supervisor, runtime::SignalWatcher& signals, const std::function<void()>& on_change) {
    while (true) {
        const auto event = signals.wait(std::chrono::milliseconds(100));
        if (event == runtime::SignalEvent::stop) break;
        if (event == runtime::SignalEvent::reload) supervisor.signal_all(SIGHUP);
        if (supervisor.poll() && on_change) on_change();
    }
    supervisor.stop_all();
    if (on_change) on_change();
}

}  // namespace udn::up
