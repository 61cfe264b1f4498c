// configd's reload of the other roles after a commit: SIGHUP only to processes that hold their
// pid file, never to the pid a killed process left behind (it may be another program's by now).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/runtime/signals.hpp"
#include "configd/daemon/local_roles.hpp"

namespace udn::configd::daemon {
namespace {

namespace fs = std::filesystem;

// A child that waits for a signal, holding `lock_path` locked as a running role does if one is
// given. Only system calls after the fork: the test process may have threads.
pid_t start_child(const char* lock_path) {
    const pid_t child = ::fork();
    if (child == 0) {
        if (lock_path != nullptr) {
            const int fd = ::open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(3);
        }
        for (;;) ::pause();
    }
    return child;
}

bool still_running(pid_t child) {
    int status = 0;
    return ::waitpid(child, &status, WNOHANG) == 0;
}

class LocalRolesTest : public ::testing::Test {
protected:
    void SetUp() override {
        run_ = fs::temp_directory_path() / ("udn-local-roles-" + std::to_string(::getpid()));
        fs::remove_all(run_);
        fs::create_directories(run_);
    }
    void TearDown() override {
        for (const pid_t child : children_) {
            ::kill(child, SIGKILL);
            int status = 0;
            ::waitpid(child, &status, 0);
        }
        fs::remove_all(run_);
    }
    pid_t child(const char* lock_path) {
        const pid_t pid = start_child(lock_path);
        if (pid > 0) children_.push_back(pid);
        return pid;
    }

    fs::path run_;
    std::vector<pid_t> children_;
};

TEST_F(LocalRolesTest, ARunningRoleHoldingItsPidFileIsSentAReload) {
    const auto path = run_ / "cache.pid";
    const std::string path_text = path.string();
    const pid_t role = child(path_text.c_str());
    ASSERT_GT(role, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!runtime::pid_file_is_held(path) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(runtime::pid_file_is_held(path));
    std::ofstream(path) << role << "\n";

    const auto lines = signal_local_roles(run_);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(lines[0], "reload sent to cache (pid " + std::to_string(role) + ")");
    int status = 0;
    ASSERT_EQ(::waitpid(role, &status, 0), role);  // SIGHUP's default action ends the child
    children_.clear();
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGHUP);
}

TEST_F(LocalRolesTest, APidFileNoProcessHoldsIsSkippedAndItsPidLeftAlone) {
    // A role killed with SIGKILL leaves its file; the pid in it now runs something else.
    const pid_t stranger = child(nullptr);
    ASSERT_GT(stranger, 0);
    std::ofstream(run_ / "dns.pid") << stranger << "\n";

    const auto lines = signal_local_roles(run_);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("no running process holds it"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(std::to_string(stranger)), std::string::npos) << lines[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a signal, had one been sent, has arrived
    EXPECT_TRUE(still_running(stranger));
}

TEST_F(LocalRolesTest, OurOwnPidAndFilesWithoutAPidAreSkipped) {
    runtime::PidFile own(run_.parent_path() / run_.filename() / "state", "configd");
    fs::copy_file(own.path(), run_ / "configd.pid");
    std::ofstream(run_ / "probe.pid") << "not a pid\n";
    std::ofstream(run_ / "notes.txt") << "1\n";

    const auto lines = signal_local_roles(run_);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("probe.pid: no pid in it"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace udn::configd::daemon
