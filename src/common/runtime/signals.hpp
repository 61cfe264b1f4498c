// Clean stop and reload for every role, without work inside signal handlers: SIGTERM, SIGINT
// and SIGHUP are blocked and delivered through a signalfd that a plain loop polls or an
// io_context watches. Also the role's pid file (<state-dir>/run/<role>.pid), which configd
// uses to send SIGHUP after a config commit.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace udn::runtime {

enum class SignalEvent { stop, reload };  // stop: SIGTERM/SIGINT; reload: SIGHUP

// Construct it in main() BEFORE starting any thread: it blocks the three signals in the calling
// thread, and threads started afterwards inherit the mask, so the signals can only arrive
// through fd(). The destructor restores the previous mask. Child processes must unblock them
// (Supervisor does, between fork and exec).
class SignalWatcher {
public:
    SignalWatcher();
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

    // Readable when a signal is pending (non-blocking descriptor).
    int fd() const { return fd_; }
    // The next pending signal, or nullopt at once if none.
    std::optional<SignalEvent> poll();
    // Waits up to `timeout` for a signal.
    std::optional<SignalEvent> wait(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
    unsigned char previous_mask_[128];  // sigset_t, kept opaque to keep <signal.h> out of the header
};

// Calls `on_signal` from `io` for every signal until the io_context stops. The watcher must
// outlive the io_context's run().
void watch_signals(boost::asio::io_context& io, SignalWatcher& watcher, std::function<void(SignalEvent)> on_signal);

// <state-dir>/run/<role>.pid, written at construction (directories created) and removed by
// the destructor if it still holds our pid. Held locked (flock) while it exists: a second
// process of the role on the same state directory is refused. Throws std::runtime_error with
// the path, or naming the running process, on failure.
class PidFile {
public:
    PidFile(const std::filesystem::path& state_dir, std::string_view role);
    ~PidFile();
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

// Reads a pid file; nullopt if missing or malformed.
std::optional<int> read_pid_file(const std::filesystem::path& path);

// Whether a live process holds the pid file's lock (a running PidFile). A file nobody holds was
// left by a process that died without removing it, and its pid may belong to another program
// by now: signalling that pid would hit a stranger (SIGHUP's default action ends a process).
bool pid_file_is_held(const std::filesystem::path& path);

}  // namespace udn::runtime
