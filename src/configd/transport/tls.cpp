#include "configd/transport/tls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "common/crypto/openssl_error.hpp"
#include "common/net/ip_address.hpp"

namespace udn::configd::transport {

namespace {

std::string openssl_error() { return crypto::openssl_error("connection closed"); }

// A throw-away Ed25519 key and a self-signed certificate, made once per process.
SSL_CTX* server_context() {
    static SSL_CTX* context = [] {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        EVP_PKEY* key = nullptr;
        EVP_PKEY_CTX* key_ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
        X509* cert = X509_new();
        const bool ok = ctx != nullptr && key_ctx != nullptr && cert != nullptr && EVP_PKEY_keygen_init(key_ctx) > 0 &&
                        EVP_PKEY_keygen(key_ctx, &key) > 0 && X509_set_version(cert, 2) == 1 &&
                        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
                        X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
                        X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600) != nullptr &&
                        X509_set_pubkey(cert, key) == 1 &&
                        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                                   reinterpret_cast<const unsigned char*>("udn-configd"), -1, -1, 0) == 1 &&
                        X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1 &&
                        X509_sign(cert, key, nullptr) > 0 && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                        SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
                        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1;
        EVP_PKEY_CTX_free(key_ctx);
        EVP_PKEY_free(key);
        X509_free(cert);
        if (!ok) throw std::runtime_error("cannot set up TLS for configd: " + openssl_error());
        return ctx;
    }();
    return context;
}

SSL_CTX* client_context() {
    static SSL_CTX* context = [] {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
            throw std::runtime_error("cannot set up TLS for configd: " + openssl_error());
        }
        // No PKI in the configuration: content authenticity is the Ed25519 signature.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        return ctx;
    }();
    return context;
}

void set_io_timeout(int fd, int timeout_ms) {
    timeval tv{};
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

struct Connection::Impl {
    int fd = -1;
    SSL* ssl = nullptr;
    std::string peer;
    ~Impl() {
        if (ssl != nullptr) SSL_free(ssl);
        if (fd >= 0) ::close(fd);
    }

    std::string io_error(int result) {
        const int code = SSL_get_error(ssl, result);
        if (code == SSL_ERROR_ZERO_RETURN) return "connection closed by " + peer;
        // SO_RCVTIMEO/SO_SNDTIMEO expiring looks like a non-blocking retry to OpenSSL.
        if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return "timed out talking to " + peer;
        if (code == SSL_ERROR_SYSCALL) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return "timed out talking to " + peer;
            if (errno == 0) return "connection closed by " + peer;
            return errno_text(("connection to " + peer).c_str());
        }
        return "TLS error with " + peer + ": " + openssl_error();
    }

    std::optional<std::string> read_exact(std::uint8_t* out, std::size_t size) {
        while (size > 0) {
            std::size_t got = 0;
            errno = 0;
            const int result = SSL_read_ex(ssl, out, size, &got);
            if (result <= 0) return io_error(result);
            out += got;
            size -= got;
        }
        return std::nullopt;
    }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

std::variant<Connection, std::string> Connection::connect(const std::string& address, std::uint16_t port,
                                                          int connect_timeout_ms, int io_timeout_ms) {
    const auto ip = net::IpAddress::parse(address);
    const std::string peer = net::Endpoint{ip.value_or(net::IpAddress{}), port}.to_string();
    if (!ip) return "not an IP address: " + address;
    sockaddr_storage storage{};
    const auto length = ip->to_sockaddr(port, storage);
    auto impl = std::make_unique<Impl>();
    impl->peer = peer;
    impl->fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (impl->fd < 0) return errno_text("socket");
    if (::connect(impl->fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        if (errno != EINPROGRESS) return errno_text(("connect to " + peer).c_str());
        pollfd waiter{impl->fd, POLLOUT, 0};
        const int ready = ::poll(&waiter, 1, connect_timeout_ms);
        if (ready == 0) return "connect to " + peer + ": timed out";
        int error = 0;
        socklen_t error_length = sizeof error;
        ::getsockopt(impl->fd, SOL_SOCKET, SO_ERROR, &error, &error_length);
        if (ready < 0 || error != 0) {
            errno = ready < 0 ? errno : error;
            return errno_text(("connect to " + peer).c_str());
        }
    }
    ::fcntl(impl->fd, F_SETFL, ::fcntl(impl->fd, F_GETFL) & ~O_NONBLOCK);
    const int one = 1;
    ::setsockopt(impl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_io_timeout(impl->fd, io_timeout_ms);
    impl->ssl = SSL_new(client_context());
    if (impl->ssl == nullptr || SSL_set_fd(impl->ssl, impl->fd) != 1) return "TLS setup: " + openssl_error();
    errno = 0;
    const int result = SSL_connect(impl->ssl);
    if (result != 1) return "TLS handshake with " + peer + " failed: " + impl->io_error(result);
    return Connection{std::move(impl)};
}

std::optional<std::string> Connection::send(const Frame& frame) {
    // Head and blob are written separately so the blob (a 1 MB file) is not copied first.
    const std::string head = encode_frame_head(frame);
    for (const std::string_view part : {std::string_view{head}, std::string_view{frame.blob}}) {
        if (part.empty()) continue;
        std::size_t written = 0;
        errno = 0;
        const int result = SSL_write_ex(impl_->ssl, part.data(), part.size(), &written);
        if (result <= 0) return impl_->io_error(result);
    }
    return std::nullopt;
}

std::variant<Frame, std::string> Connection::receive() {
    std::uint8_t header_bytes[header_size_bytes];
    if (auto error = impl_->read_exact(header_bytes, sizeof header_bytes)) return *error;
    auto header = decode_header(header_bytes);
    if (auto* error = std::get_if<DecodeError>(&header)) return "from " + impl_->peer + ": " + error->reason;
    const auto& parsed = std::get<Header>(header);
    std::string payload(parsed.payload_size_bytes, '\0');
    if (auto error = impl_->read_exact(reinterpret_cast<std::uint8_t*>(payload.data()), payload.size())) return *error;
    auto frame = decode_payload(parsed, std::move(payload));
    if (auto* error = std::get_if<DecodeError>(&frame)) return "from " + impl_->peer + ": " + error->reason;
    return std::move(std::get<Frame>(frame));
}

void Connection::set_io_timeout_ms(int timeout_ms) { set_io_timeout(impl_->fd, timeout_ms); }

void Connection::interrupt() {
    if (impl_ && impl_->fd >= 0) ::shutdown(impl_->fd, SHUT_RDWR);
}

std::string Connection::peer() const { return impl_->peer; }

struct Listener::Impl {
    int fd = -1;
    std::uint16_t port = 0;
    ~Impl() {
        if (fd >= 0) ::close(fd);
    }
};

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::Listener(Listener&&) noexcept = default;
Listener& Listener::operator=(Listener&&) noexcept = default;
Listener::~Listener() = default;

std::variant<Listener, std::string> Listener::bind(const std::string& address, std::uint16_t port) {
    const auto ip = net::IpAddress::parse(address);
    if (!ip) return "not an IP address: " + address;
    server_context();
    sockaddr_storage storage{};
    const auto length = ip->to_sockaddr(port, storage);
    auto impl = std::make_unique<Impl>();
    impl->fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (impl->fd < 0) return errno_text("socket");
    const int one = 1;
    ::setsockopt(impl->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const std::string where = net::Endpoint{*ip, port}.to_string();
    if (::bind(impl->fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        return errno_text(("cannot bind configd to " + where + " (is another configd running there?)").c_str());
    }
    if (::listen(impl->fd, 128) != 0) return errno_text("listen");
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    ::getsockname(impl->fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
    impl->port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                  : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    return Listener{std::move(impl)};
}

std::uint16_t Listener::port() const { return impl_->port; }

std::optional<Connection> Listener::accept(int poll_timeout_ms, int io_timeout_ms) {
    pollfd waiter{impl_->fd, POLLIN, 0};
    if (::poll(&waiter, 1, poll_timeout_ms) <= 0) return std::nullopt;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(impl_->fd, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) return std::nullopt;
    auto impl = std::make_unique<Connection::Impl>();
    impl->fd = fd;
    const auto ip = net::IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&address));
    impl->peer = ip ? ip->to_string() : std::string{"peer"};
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_io_timeout(fd, io_timeout_ms);
    impl->ssl = SSL_new(server_context());
    if (impl->ssl == nullptr || SSL_set_fd(impl->ssl, fd) != 1) return std::nullopt;
    SSL_set_accept_state(impl->ssl);
    return Connection{std::move(impl)};
}

}  // namespace udn::configd::transport
