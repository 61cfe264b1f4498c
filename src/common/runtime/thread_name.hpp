// Thread names, so that `top -H`, `perf top`, `ps -L` and /proc/PID/task/*/comm tell a role's
// threads apart (a DNS server's UDP workers, its query-log writer, a cache's workers, ...):
// otherwise every thread is "udn", and finding the one that uses a core takes a debugger.
#pragma once
#include <string_view>

namespace udn::runtime {

// Names the calling thread. The kernel keeps 15 bytes; a longer name is cut there. A failure
// (none is expected) leaves the old name: a name is a convenience, never a reason to stop.
void name_this_thread(std::string_view name);

}  // namespace udn::runtime
