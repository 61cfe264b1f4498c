// bench/probe/resolvers.cpp: the client resolvers of the latency-probe benchmark. UDP port PORT
// (53) on COUNT consecutive loopback addresses from FIRST, each answering every query at once
// with the query turned into a REFUSED response (what the probe's dns_query counts as an answer).
// One thread, one epoll set over every socket; on SIGTERM/SIGINT prints the queries answered.
//   g++ -O2 -std=c++20 -o resolvers bench/probe/resolvers.cpp
//   taskset -c 1 ./resolvers 127.66.0.10 10000 [53]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

volatile std::sig_atomic_t stopping = 0;

void stop(int) { stopping = 1; }

int bind_resolver(std::uint32_t address, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(port);
    local.sin_addr.s_addr = htonl(address);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s FIRST_ADDRESS COUNT [PORT]\n", argv[0]);
        return 2;
    }
    in_addr first{};
    if (::inet_pton(AF_INET, argv[1], &first) != 1) {
        std::fprintf(stderr, "%s: not an IPv4 address\n", argv[1]);
        return 2;
    }
    const long count = std::strtol(argv[2], nullptr, 10);
    const auto port = static_cast<std::uint16_t>(argc > 3 ? std::strtol(argv[3], nullptr, 10) : 53);
    if (count < 1 || count > 100000) {
        std::fprintf(stderr, "COUNT must be 1..100000\n");
        return 2;
    }
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(count) + 64);
    ::setrlimit(RLIMIT_NOFILE, &limit);

    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<int> sockets;
    for (long i = 0; i < count; ++i) {
        const auto address = ntohl(first.s_addr) + static_cast<std::uint32_t>(i);
        const int fd = bind_resolver(address, port);
        if (fd < 0) {
            in_addr failed{htonl(address)};
            std::fprintf(stderr, "cannot bind %s:%u: %s\n", inet_ntoa(failed), port, std::strerror(errno));
            return 1;
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
        sockets.push_back(fd);
    }
    std::signal(SIGTERM, stop);
    std::signal(SIGINT, stop);
    std::printf("ready %ld\n", count);
    std::fflush(stdout);

    std::uint64_t answered = 0;
    std::array<epoll_event, 256> events{};
    std::array<std::uint8_t, 512> buffer{};
    while (!stopping) {
        const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < ready; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            for (;;) {
                sockaddr_in from{};
                socklen_t from_length = sizeof from;
                const auto size = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
                if (size < 12) break;
                buffer[2] = 0x81;  // QR, RD
                buffer[3] = 0x85;  // RA, REFUSED
                ::sendto(fd, buffer.data(), static_cast<std::size_t>(size), 0, reinterpret_cast<const sockaddr*>(&from), from_length);
                ++answered;
            }
        }
    }
    std::printf("answered %llu\n", static_cast<unsigned long long>(answered));
    return 0;
}
