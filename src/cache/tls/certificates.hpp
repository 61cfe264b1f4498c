// The HTTPS certificates of one cache, built from a configuration snapshot: one OpenSSL context
// per configured certificate and a name table (exact names, then "*.zone" wildcards) that the
// SNI callback of the initial context consults to switch a new connection to its certificate.
// A handshake for a name no certificate lists, or without SNI, is refused (unrecognized_name).
// Built again on every reload; each connection keeps the set it started with alive.
#pragma once
#include "cache/server/asio.hpp"

#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "common/config/config.hpp"
#include "common/config/loader.hpp"

namespace udn::cache::tls {

// Session-ticket encryption keys (name, HMAC and AES keys, as SSL_CTX_set_tlsext_ticket_keys
// takes them). Made once per process and given to every set, so that tickets issued before a
// reload still resume after it.
using TicketKeys = std::array<unsigned char, 80>;
TicketKeys make_ticket_keys();

// "*.b.c" for "a.b.c"; "" when the name has fewer than three labels (a wildcard never covers a
// top-level domain's direct children).
std::string wildcard_of(std::string_view name);

struct Certificate {
    std::shared_ptr<SSL_CTX> context;
    std::string cert_path;
    std::string subject;  // for logs: the certificate's subject
};

class CertificateSet {
public:
    // Loads every certificate of every customer of `config`. Each problem (unreadable file, no
    // certificate or key in it, a key that does not match, a listed name the certificate does
    // not cover, a name listed twice or not the customer's) is added to `problems` with the
    // configuration line; a certificate with a problem is left out.
    static std::shared_ptr<CertificateSet> build(const config::Config& config, const TicketKeys& keys,
                                                 std::vector<config::Diagnostic>& problems);

    bool empty() const { return by_name_.empty(); }
    std::size_t certificate_count() const { return certificates_.size(); }
    // The certificate for a name (lower case): exact name first, then its wildcard; null if none.
    const Certificate* find(std::string_view name) const;
    // What a new server-side TLS stream is created with; its SNI callback picks the certificate.
    asio::ssl::context& initial_context() const { return initial_; }

private:
    CertificateSet();
    static int on_server_name(SSL* ssl, int* alert, void* self);

    mutable asio::ssl::context initial_;
    std::vector<std::shared_ptr<Certificate>> certificates_;
    std::unordered_map<std::string, std::shared_ptr<Certificate>> by_name_;
};

}  // namespace udn::cache::tls
