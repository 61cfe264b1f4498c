#include "common/runtime/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace udn::runtime {

void name_this_thread(std::string_view name) {
    std::array<char, 16> text{};  // 15 bytes and the terminating NUL: the kernel's TASK_COMM_LEN
    const auto size = std::min(name.size(), text.size() - 1);
    std::memcpy(text.data(), name.data(), size);
    (void)::pthread_setname_np(::pthread_self(), text.data());
}

}  // namespace udn::runtime
