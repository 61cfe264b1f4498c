// Blocking TLS 1.3 connections carrying configd frames (frame.hpp). Each daemon presents a
// self-signed certificate made at start; clients do not verify it: authenticity of what is
// pushed comes from the Ed25519 signature over the content, TLS gives confidentiality against
// passive observers and detects tampering on the wire (docs/configd.md, "Threat model").
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "configd/transport/frame.hpp"

namespace udn::configd::transport {

class Connection {
public:
    // Connects within timeout_ms; later reads and writes each time out after io_timeout_ms.
    static std::variant<Connection, std::string> connect(const std::string& address, std::uint16_t port,
                                                         int connect_timeout_ms, int io_timeout_ms);
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    std::optional<std::string> send(const Frame& frame);  // error message, or nullopt
    std::variant<Frame, std::string> receive();           // the frame, or why there is none
    void set_io_timeout_ms(int timeout_ms);
    // Unblocks a receive() in another thread (used at shutdown).
    void interrupt();
    std::string peer() const;

private:
    friend class Listener;
    struct Impl;
    explicit Connection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class Listener {
public:
    // Binds address:port (port 0 = any free port) and makes the self-signed certificate.
    static std::variant<Listener, std::string> bind(const std::string& address, std::uint16_t port);
    Listener(Listener&&) noexcept;
    Listener& operator=(Listener&&) noexcept;
    ~Listener();

    std::uint16_t port() const;
    // Waits up to poll_timeout_ms for a client; the TLS handshake happens on the first
    // receive()/send(), in the thread that serves the connection.
    std::optional<Connection> accept(int poll_timeout_ms, int io_timeout_ms);

private:
    struct Impl;
    explicit Listener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace udn::configd::transport
