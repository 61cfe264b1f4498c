// signalfd-based signal delivery and pid files; see signals.hpp.
#include "common/runtime/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace udn::runtime {
namespace {

static_assert(sizeof(sigset_t) <= 128, "SignalWatcher::previous_mask_ too small");

sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

std::runtime_error system_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

SignalWatcher::SignalWatcher() {
    const sigset_t set = watched_signals();
    sigset_t previous;
    if (pthread_sigmask(SIG_BLOCK, &set, &previous) != 0) throw system_error("cannot block signals");
    std::memcpy(previous_mask_, &previous, sizeof previous);
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) throw system_error("cannot create signalfd");
}

SignalWatcher::~SignalWatcher() {
    ::close(fd_);
    sigset_t previous;
    std::memcpy(&previous, previous_mask_, sizeof previous);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

std::optional<SignalEvent> SignalWatcher::poll() {
    signalfd_siginfo info{};
    while (true) {
        const ssize_t n = ::read(fd_, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) break;
        if (n < 0 && errno == EINTR) continue;
        return std::nullopt;
    }
    return info.ssi_signo == SIGHUP ? SignalEvent::reload : SignalEvent::stop;
}

std::optional<SignalEvent> SignalWatcher::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (auto event = poll()) return event;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd pfd{fd_, POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
}

namespace {

// Keeps a dup of the signalfd inside an Asio descriptor, so closing it never closes the watcher's.
struct AsioSignalReader : std::enable_shared_from_this<AsioSignalReader> {
    AsioSignalReader(boost::asio::io_context& io, SignalWatcher& watcher, std::function<void(SignalEvent)> handler)
        : descriptor(io, ::dup(watcher.fd())), source(&watcher), on_signal(std::move(handler)) {}

    void arm() {
        descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                              [self = shared_from_this()](const boost::system::error_code& error) {
                                  if (error) return;
                                  while (auto event = self->source->poll()) self->on_signal(*event);
                                  self->arm();
                              });
    }

    boost::asio::posix::stream_descriptor descriptor;
    SignalWatcher* source;
    std::function<void(SignalEvent)> on_signal;
};

}  // namespace

void watch_signals(boost::asio::io_context& io, SignalWatcher& watcher, std::function<void(SignalEvent)> on_signal) {
    std::make_shared<AsioSignalReader>(io, watcher, std::move(on_signal))->arm();
}

namespace {

// A running role holds its lock for good; pid_file_is_held takes it shared for a moment. So a
// refusal is retried for a little while before it counts as another process of the role.
// 0, or the errno of the last refusal (EWOULDBLOCK: someone holds it).
int lock_exclusively(int fd) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
        if (errno != EWOULDBLOCK) return errno;
        ::usleep(5'000);
    }
    return EWOULDBLOCK;
}

}  // namespace

PidFile::PidFile(const std::filesystem::path& state_dir, std::string_view role)
    : path_(state_dir / "run" / (std::string{role} + ".pid")) {
    std::error_code error;
    std::filesystem::create_directories(path_.parent_path(), error);
    if (error) throw std::runtime_error("cannot create " + path_.parent_path().string() + ": " + error.message());
    // The file stays open and locked while the role runs (the kernel drops the lock when the
    // process ends, however it ends): a second process of the role on the same state directory
    // would share its spool and saved state, and would overwrite them.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open pid file " + path_.string() + ": " + std::strerror(errno));
    if (const int refused = lock_exclusively(fd_); refused != 0) {
        if (refused != EWOULDBLOCK) {
            ::close(fd_);
            throw std::runtime_error("cannot lock pid file " + path_.string() + ": " + std::strerror(refused));
        }
        const auto holder = read_pid_file(path_);
        ::close(fd_);
        throw std::runtime_error("another udn " + std::string{role} + " (" +
                                 (holder ? "pid " + std::to_string(*holder) : std::string{"pid unknown"}) +
                                 ") is running with the state directory " + state_dir.string() +
                                 ": stop it, or give this one another --state-dir");
    }
    const auto text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        const auto message = std::string(std::strerror(errno));
        ::close(fd_);
        throw std::runtime_error("cannot write pid file " + path_.string() + ": " + message);
    }
}

PidFile::~PidFile() {
    if (read_pid_file(path_) == ::getpid()) {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    ::close(fd_);
}

std::optional<int> read_pid_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    long pid = 0;
    if (!(in >> pid) || pid <= 0 || pid > 0x3fffffff) return std::nullopt;
    return static_cast<int>(pid);
}

bool pid_file_is_held(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    // A shared lock is granted unless someone holds the exclusive one a PidFile takes. A PidFile
    // starting at this instant waits for it to go (lock_exclusively).
    const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::close(fd);
    return !free;
}

}  // namespace udn::runtime
