// The supervisor with real (tiny) child processes: restart on exit, clean stop, SIGKILL for a
// child that ignores SIGTERM, one status line per event.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "up/supervisor.hpp"

namespace udn::up {
namespace {

using std::chrono::milliseconds;

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

struct Lines {
    std::vector<std::string> lines;
    StatusPrinter printer() {
        return [this](const std::string& line) { lines.push_back(line); };
    }
    std::size_t count(std::string_view prefix) const {
        std::size_t n = 0;
        for (const auto& line : lines) n += line.starts_with(prefix) ? 1 : 0;
        return n;
    }
};

SupervisorOptions fast() {
    SupervisorOptions options;
    options.backoff = {milliseconds(10), milliseconds(40), milliseconds(60000)};
    options.stop_timeout = milliseconds(500);
    return options;
}

template <class Predicate>
bool poll_until(Supervisor& supervisor, Predicate done, milliseconds limit = milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        supervisor.poll();
        if (done()) return true;
        std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
}

TEST(UpSupervisor, RestartsAChildThatExits) {
    Lines lines;
    Supervisor supervisor(fast(), lines.printer());
    supervisor.add({"crasher", {"/bin/sh", "-c", "exit 3"}, {}});
    supervisor.start_all();
    ASSERT_TRUE(poll_until(supervisor, [&] { return supervisor.status()[0].restarts >= 3; }));
    supervisor.stop_all();
    EXPECT_EQ(lines.count("started crasher"), 1u);
    EXPECT_GE(lines.count("restarted crasher"), 3u);
    EXPECT_GE(lines.count("exited crasher"), 3u);
    bool saw_exit_code = false;
    for (const auto& line : lines.lines) saw_exit_code |= line.find("(exit 3)") != std::string::npos;
    EXPECT_TRUE(saw_exit_code);
}

TEST(UpSupervisor, RestartsAKilledChildWithANewPid) {
    Lines lines;
    Supervisor supervisor(fast(), lines.printer());
    supervisor.add({"sleeper", {"/bin/sleep", "30"}, {}});
    supervisor.start_all();
    const pid_t first = supervisor.status()[0].pid;
    ASSERT_TRUE(alive(first));
    ::kill(first, SIGKILL);
    ASSERT_TRUE(poll_until(supervisor, [&] {
        const auto pid = supervisor.status()[0].pid;
        return pid != 0 && pid != first;
    }));
    const pid_t second = supervisor.status()[0].pid;
    EXPECT_TRUE(alive(second));
    supervisor.stop_all();
    EXPECT_FALSE(alive(second));
    EXPECT_EQ(supervisor.status()[0].pid, 0);
    EXPECT_EQ(lines.count("stopped sleeper"), 1u);
}

TEST(UpSupervisor, KillsAChildThatIgnoresSigterm) {
    Lines lines;
    Supervisor supervisor(fast(), lines.printer());
    supervisor.add({"stubborn", {"/bin/sh", "-c", "trap '' TERM; exec sleep 30"}, {}});
    supervisor.start_all();
    std::this_thread::sleep_for(milliseconds(100));  // let the shell install its trap
    const pid_t pid = supervisor.status()[0].pid;
    const auto started = std::chrono::steady_clock::now();
    supervisor.stop_all();
    EXPECT_FALSE(alive(pid));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_EQ(lines.count("stubborn pid"), 1u);  // the SIGKILL note
}

TEST(UpSupervisor, WritesChildOutputToItsLog) {
    const auto log = std::filesystem::temp_directory_path() / ("udn-supervisor-" + std::to_string(::getpid()) + ".log");
    Lines lines;
    {
        Supervisor supervisor(fast(), lines.printer());
        supervisor.add({"talker", {"/bin/sh", "-c", "echo out; echo err >&2; exec sleep 30"}, log});
        supervisor.start_all();
        std::this_thread::sleep_for(milliseconds(200));
    }  // the destructor stops it
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("out\n"), std::string::npos);
    EXPECT_NE(text.find("err\n"), std::string::npos);
    std::filesystem::remove(log);
}

TEST(UpSupervisor, DescribesWaitStatuses) {
    EXPECT_EQ(describe_wait_status(3 << 8), "exit 3");
    EXPECT_EQ(describe_wait_status(SIGKILL), "killed by SIGKILL");
}

}  // namespace
}  // namespace udn::up
