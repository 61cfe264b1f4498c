#include "common/runtime/thread_name.hpp"

#include <pthread.h>

#include <array>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace {

std::string name_of_a_thread_that_calls(std::string_view name) {
    std::string seen;
    std::thread thread([&] {
        udn::runtime::name_this_thread(name);
        std::array<char, 64> text{};
        if (::pthread_getname_np(::pthread_self(), text.data(), text.size()) == 0) seen = text.data();
    });
    thread.join();
    return seen;
}

TEST(ThreadName, TheKernelSeesTheName) { EXPECT_EQ(name_of_a_thread_that_calls("udn-dns-udp0"), "udn-dns-udp0"); }

TEST(ThreadName, ALongNameIsCutAtFifteenBytes) {
    // pthread_setname_np itself refuses names over 15 bytes (ERANGE) and keeps the old one.
    EXPECT_EQ(name_of_a_thread_that_calls("udn-cache-worker-12345"), "udn-cache-worke");
}

TEST(ThreadName, AnEmptyNameIsAllowed) { EXPECT_EQ(name_of_a_thread_that_calls(""), ""); }

}  // namespace
