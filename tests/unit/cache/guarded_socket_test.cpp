// GuardedSocket::write_now: what the socket takes at once leaves the buffer list, the rest stays
// for async_write, in order, and a closed peer is reported.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "cache/server/guarded_socket.hpp"

namespace udn::cache {
namespace {

struct Pair {
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    tcp::socket reader{io};
    std::shared_ptr<GuardedSocket> writer = make_guarded_socket(io.get_executor());

    Pair() {
        writer->socket.connect(acceptor.local_endpoint());
        acceptor.accept(reader);
    }
    ~Pair() { writer->finish(); }

    std::string read_exactly(std::size_t bytes) {
        std::string text(bytes, '\0');
        asio::read(reader, asio::buffer(text));
        return text;
    }
};

std::vector<asio::const_buffer> pieces_of(const std::vector<std::string>& texts) {
    std::vector<asio::const_buffer> buffers;
    for (const auto& text : texts) buffers.emplace_back(text.data(), text.size());
    return buffers;
}

TEST(GuardedSocketWriteNow, WritesEverythingThatFitsAndEmptiesTheList) {
    Pair pair;
    const std::vector<std::string> texts = {"HTTP/1.1 200 OK\r\n", "", "Content-Length: 3\r\n\r\n", "abc"};
    auto buffers = pieces_of(texts);
    ASSERT_TRUE(pair.writer->write_now(buffers));
    EXPECT_TRUE(buffers.empty());
    EXPECT_EQ(pair.read_exactly(41), "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(GuardedSocketWriteNow, KeepsWhatTheFullSocketDidNotTakeInOrder) {
    Pair pair;
    pair.writer->socket.set_option(asio::socket_base::send_buffer_size(4096));
    std::vector<std::string> texts;
    for (char c = 'a'; c <= 'h'; ++c) texts.emplace_back(256 * 1024, c);
    auto buffers = pieces_of(texts);
    ASSERT_TRUE(pair.writer->write_now(buffers));
    std::size_t left = 0;
    for (const auto& buffer : buffers) left += buffer.size();
    ASSERT_GT(left, 0u);  // 2 MiB cannot fit the socket buffers of both ends
    const std::size_t total = texts.size() * texts.front().size();
    const std::size_t written = total - left;
    // The rest goes out with a plain blocking write while a thread reads everything back.
    std::string received;
    std::thread reading([&] { received = pair.read_exactly(total); });
    asio::write(pair.writer->socket, buffers);
    reading.join();
    std::string expected;
    for (const auto& text : texts) expected += text;
    EXPECT_GT(written, 0u);
    EXPECT_EQ(received.size(), expected.size());
    EXPECT_TRUE(received == expected);
}

TEST(GuardedSocketWriteNow, ReportsAPeerThatWentAway) {
    Pair pair;
    pair.reader.set_option(asio::socket_base::linger(true, 0));  // close with a reset
    pair.reader.close();
    const std::string text(1024, 'x');
    bool ok = true;
    for (int i = 0; i < 100 && ok; ++i) {
        auto buffers = pieces_of({text});
        ok = pair.writer->write_now(buffers);
    }
    EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace udn::cache
