// A batch of UDP datagrams in which the kernel refuses one: the others must still leave.
// Destination port 0 is what a forged query with source port 0 makes the answer's destination;
// Linux refuses to send there (EINVAL), deterministically, on loopback.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "common/net/send_batch.hpp"

namespace udn::net {
namespace {

struct Socket {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    Socket() {
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        socklen_t length = sizeof address;
        EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    }
    ~Socket() { ::close(fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    // The payloads waiting on this socket, in order (waits briefly for the first).
    std::vector<std::string> received() const {
        std::vector<std::string> payloads;
        pollfd ready{fd, POLLIN, 0};
        while (::poll(&ready, 1, payloads.empty() ? 500 : 50) > 0) {
            std::array<char, 64> buffer{};
            const auto size = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (size < 0) break;
            payloads.emplace_back(buffer.data(), static_cast<std::size_t>(size));
        }
        return payloads;
    }
};

// Messages to `receiver`, except those whose payload starts with '!', which go to port 0.
struct Batch {
    std::vector<std::string> payloads;
    std::vector<iovec> iov;
    std::vector<mmsghdr> messages;
    sockaddr_in port_zero{};

    Batch(std::vector<std::string> texts, sockaddr_in& receiver) : payloads(std::move(texts)) {
        port_zero = receiver;
        port_zero.sin_port = 0;
        iov.resize(payloads.size());
        messages.resize(payloads.size());
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            iov[i] = {payloads[i].data(), payloads[i].size()};
            messages[i] = {};
            messages[i].msg_hdr.msg_name = payloads[i].front() == '!' ? &port_zero : &receiver;
            messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            messages[i].msg_hdr.msg_iov = &iov[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
    }
};

TEST(SendBatch, EveryAnswerLeavesWhenNoneIsRefused) {
    Socket sender, receiver;
    Batch batch({"a", "b", "c"}, receiver.address);
    EXPECT_EQ(send_batch(sender.fd, batch.messages), 0u);
    EXPECT_EQ(receiver.received(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SendBatch, ARefusedAnswerInTheMiddleDoesNotDropTheRest) {
    Socket sender, receiver;
    Batch batch({"a", "!x", "b", "c"}, receiver.address);
    EXPECT_EQ(send_batch(sender.fd, batch.messages), 1u);
    EXPECT_EQ(receiver.received(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SendBatch, RefusedAnswersFirstAndLastAreSkippedAndCounted) {
    Socket sender, receiver;
    Batch batch({"!x", "!y", "a", "b", "!z"}, receiver.address);
    for (auto& message : batch.messages) message.msg_len = 99;  // as a previous batch left it
    EXPECT_EQ(send_batch(sender.fd, batch.messages), 3u);
    EXPECT_EQ(receiver.received(), (std::vector<std::string>{"a", "b"}));
    std::vector<unsigned> lengths;
    for (const auto& message : batch.messages) lengths.push_back(message.msg_len);
    EXPECT_EQ(lengths, (std::vector<unsigned>{0, 0, 1, 1, 0}))
        << "which were refused, for the caller";
}

TEST(SendBatch, AnEmptyBatchSendsNothing) {
    Socket sender;
    EXPECT_EQ(send_batch(sender.fd, {}), 0u);
}

}  // namespace
}  // namespace udn::net
