// Signal delivery through SignalWatcher (plain loop and io_context) and pid files.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/runtime/signals.hpp"

namespace udn::runtime {
namespace {

namespace fs = std::filesystem;

TEST(RuntimeSignals, DeliversStopAndReloadThroughTheDescriptor) {
    SignalWatcher watcher;
    EXPECT_FALSE(watcher.poll());
    ::kill(::getpid(), SIGHUP);
    EXPECT_EQ(watcher.wait(std::chrono::seconds(5)), SignalEvent::reload);
    ::kill(::getpid(), SIGTERM);
    EXPECT_EQ(watcher.wait(std::chrono::seconds(5)), SignalEvent::stop);
    ::kill(::getpid(), SIGINT);
    EXPECT_EQ(watcher.wait(std::chrono::seconds(5)), SignalEvent::stop);
    EXPECT_FALSE(watcher.wait(std::chrono::milliseconds(10)));
}

TEST(RuntimeSignals, WorksFromAnIoContext) {
    SignalWatcher watcher;
    boost::asio::io_context io;
    std::vector<SignalEvent> seen;
    watch_signals(io, watcher, [&](SignalEvent event) {
        seen.push_back(event);
        if (event == SignalEvent::stop) io.stop();
    });
    ::kill(::getpid(), SIGHUP);
    ::kill(::getpid(), SIGTERM);
    io.run_for(std::chrono::seconds(5));
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), SignalEvent::stop);
}

TEST(RuntimeSignals, PidFileIsWrittenAndRemoved) {
    const auto state = fs::temp_directory_path() / ("udn-pid-" + std::to_string(::getpid()));
    fs::remove_all(state);
    {
        PidFile pid_file(state, "dns");
        EXPECT_EQ(pid_file.path(), state / "run" / "dns.pid");
        EXPECT_EQ(read_pid_file(pid_file.path()), ::getpid());
    }
    EXPECT_FALSE(fs::exists(state / "run" / "dns.pid"));
    std::ofstream(state / "run" / "bad.pid") << "not a pid";
    EXPECT_FALSE(read_pid_file(state / "run" / "bad.pid"));
    EXPECT_FALSE(read_pid_file(state / "run" / "missing.pid"));
    fs::remove_all(state);
}

TEST(RuntimeSignals, ASecondProcessOfARoleOnTheSameStateDirectoryIsRefused) {
    const auto state = fs::temp_directory_path() / ("udn-pid-lock-" + std::to_string(::getpid()));
    fs::remove_all(state);
    {
        PidFile running(state, "dns");
        try {
            PidFile second(state, "dns");  // its own open of the file: the lock refuses it as another process's
            FAIL() << "a second pid file for the same role and state directory was granted";
        } catch (const std::runtime_error& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find("another udn dns (pid " + std::to_string(::getpid()) + ")"), std::string::npos)
                << message;
            EXPECT_NE(message.find(state.string()), std::string::npos) << message;
        }
        EXPECT_EQ(read_pid_file(running.path()), ::getpid()) << "the running one's file is left alone";
        PidFile other_role(state, "probe");  // another role on the same directory is fine
    }
    PidFile after(state, "dns");  // the lock went with the first
    fs::remove_all(state);
}

TEST(RuntimeSignals, APidFileIsHeldOnlyWhileItsRoleRuns) {
    const auto state = fs::temp_directory_path() / ("udn-pid-held-" + std::to_string(::getpid()));
    fs::remove_all(state);
    fs::create_directories(state / "run");
    EXPECT_FALSE(pid_file_is_held(state / "run" / "dns.pid")) << "no file";
    {
        PidFile running(state, "dns");
        EXPECT_TRUE(pid_file_is_held(running.path()));
        EXPECT_TRUE(pid_file_is_held(running.path())) << "looking does not take it";
    }
    std::ofstream(state / "run" / "cache.pid") << ::getpid() << "\n";  // as a killed role leaves it
    EXPECT_FALSE(pid_file_is_held(state / "run" / "cache.pid"));
    fs::remove_all(state);
}

TEST(RuntimeSignals, ARoleStartingWhileConfigdLooksAtItsPidFileStillStarts) {
    const auto state = fs::temp_directory_path() / ("udn-pid-look-" + std::to_string(::getpid()));
    fs::remove_all(state);
    fs::create_directories(state / "run");
    const auto path = state / "run" / "dns.pid";
    std::ofstream(path) << "12345\n";
    // pid_file_is_held's shared lock, held a little longer than it ever is.
    const int looking = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(looking, 0);
    ASSERT_EQ(::flock(looking, LOCK_SH | LOCK_NB), 0);
    std::thread release([looking] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ::close(looking);
    });
    try {
        PidFile starting(state, "dns");
        EXPECT_EQ(read_pid_file(starting.path()), ::getpid());
    } catch (const std::runtime_error& error) {
        ADD_FAILURE() << "refused while another process only looked: " << error.what();
    }
    release.join();
    fs::remove_all(state);
}

}  // namespace
}  // namespace udn::runtime
