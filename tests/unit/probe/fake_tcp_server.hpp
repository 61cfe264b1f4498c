// A loopback TCP server for check tests: on each connection it waits for the request (or not),
// writes a fixed reply and closes. Port 0, so tests never collide.
#pragma once
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/net/ip_address.hpp"

namespace udn::probe::testing {

class FakeTcpServer {
public:
    FakeTcpServer(std::string reply, bool read_request_first)
        : reply_(std::move(reply)), read_first_(read_request_first) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd_, 16);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeTcpServer() {
        stopping_ = true;
        thread_.join();
        ::close(fd_);
    }
    udn::net::Endpoint endpoint() const { return {*udn::net::IpAddress::parse("127.0.0.1"), port_}; }
    int connections() const { return connections_; }
    std::string last_request() const { return last_request_; }

private:
    void serve() {
        while (!stopping_) {
            pollfd item{fd_, POLLIN, 0};
            if (::poll(&item, 1, 50) <= 0) continue;
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) continue;
            ++connections_;
            if (read_first_) {
                std::string request;
                char buffer[4096];
                while (request.find("\r\n\r\n") == std::string::npos) {
                    const auto size = ::recv(client, buffer, sizeof buffer, 0);
                    if (size <= 0) break;
                    request.append(buffer, static_cast<std::size_t>(size));
                }
                last_request_ = request;
            }
            ::send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
            ::shutdown(client, SHUT_WR);
            char drain[256];
            pollfd wait{client, POLLIN, 0};
            if (::poll(&wait, 1, 200) > 0) (void)::recv(client, drain, sizeof drain, 0);
            ::close(client);
        }
    }
    std::string reply_;
    bool read_first_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::string last_request_;
    std::thread thread_;
};

}  // namespace udn::probe::testing
