// Loading and checking the cache's certificates, and the SNI switch; see certificates.hpp.
#include "cache/tls/certificates.hpp"
#include "cache/tls/check.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "common/crypto/openssl_error.hpp"

namespace udn::cache::tls {

namespace {

// Every context shares it, so a session resumed after the SNI switch matches its context.
constexpr unsigned char session_id_context[] = "udn-cache";

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string openssl_reason() { return crypto::openssl_error("no detail from OpenSSL"); }

int select_http11(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                  unsigned int offered_length, void*) {
    static const unsigned char ours[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_length, ours, sizeof ours, offered, offered_length) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;  // the client offers no http/1.1 (e.g. only h2): carry on without ALPN
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

// What every context of the cache has in common: TLS 1.2 and newer, no renegotiation (a client
// could make the server do handshakes at will), the server's cipher order, ALPN http/1.1, and
// the process-wide ticket keys.
bool configure(SSL_CTX* context, const TicketKeys& keys) {
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_alpn_select_cb(context, select_http11, nullptr);
    if (SSL_CTX_set_session_id_context(context, session_id_context, sizeof session_id_context - 1) != 1) return false;
    auto key_copy = keys;
    return SSL_CTX_set_tlsext_ticket_keys(context, key_copy.data(), static_cast<long>(key_copy.size())) == 1;
}

int refuse_password(char*, int, int, void*) { return -1; }

std::vector<std::string> dns_names_of(X509* cert) {
    std::vector<std::string> names;
    auto* general = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (general == nullptr) return names;
    for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
        if (name->type != GEN_DNS) continue;
        const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
        const std::string text(data, data + ASN1_STRING_length(name->d.dNSName));
        names.push_back(lower(text));
    }
    GENERAL_NAMES_free(general);
    return names;
}

std::string subject_of(X509* cert) {
    char text[512];
    X509_NAME_oneline(X509_get_subject_name(cert), text, sizeof text);
    return text;
}

bool is_at_or_under(std::string_view name, std::string_view zone) {
    if (name == zone) return true;
    return name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

// Whether `name` (or a wildcard's base) is the customer's: in one of its zones or at/under one
// of its domain names (e.g. acme.cdn.example in the network's CDN zone).
bool belongs_to(const config::Customer& customer, std::string_view name) {
    const std::string_view base = name.starts_with("*.") ? name.substr(2) : name;
    for (const auto& zone : customer.zones) {
        if (is_at_or_under(base, lower(zone))) return true;
    }
    for (const auto& domain : customer.domains) {
        if (is_at_or_under(base, lower(domain.name))) return true;
    }
    return false;
}

struct Problem {
    std::string what;
    std::string fix;
};

std::optional<Problem> readable(const std::string& path, std::string_view key) {
    std::ifstream file(path, std::ios::binary);
    if (file) return std::nullopt;
    const int error = errno;
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    return Problem{std::string(key) + " = \"" + path + "\": cannot read it (" + std::strerror(error) + ")",
                   "give the path of a readable PEM file" +
                       (path.starts_with("/") ? std::string() : " (relative paths start at the working directory, " +
                                                                    cwd.string() + ")")};
}

std::optional<Problem> load(const config::Certificate& entry, const TicketKeys& keys, Certificate& out) {
    if (auto problem = readable(entry.cert, "cert")) return problem;
    if (auto problem = readable(entry.key, "key")) return problem;
    std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!context || !configure(context.get(), keys)) return Problem{"cannot create a TLS context: " + openssl_reason(), "see the OpenSSL error"};
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(context.get(), entry.cert.c_str()) != 1) {
        return Problem{"cert = \"" + entry.cert + "\" holds no PEM certificate (" + openssl_reason() + ")",
                       "cert must be a PEM file starting with -----BEGIN CERTIFICATE----- (the certificate, then its chain)"};
    }
    X509* cert = SSL_CTX_get0_certificate(context.get());
    std::unique_ptr<BIO, decltype(&BIO_free)> key_file(BIO_new_file(entry.key.c_str(), "r"), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, refuse_password, nullptr) : nullptr, EVP_PKEY_free);
    if (!key) {
        return Problem{"key = \"" + entry.key + "\" holds no unencrypted PEM private key (" + openssl_reason() + ")",
                       "key must be a PEM file starting with -----BEGIN PRIVATE KEY----- (encrypted keys are not supported)"};
    }
    if (X509_check_private_key(cert, key.get()) != 1) {
        ERR_clear_error();
        return Problem{"key = \"" + entry.key + "\" does not match cert = \"" + entry.cert + "\" (" + subject_of(cert) + ")",
                       "give the private key the certificate was issued for"};
    }
    if (SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1) {
        return Problem{"key = \"" + entry.key + "\" cannot be used (" + openssl_reason() + ")", "use an RSA, ECDSA or Ed25519 key"};
    }
    const auto sans = dns_names_of(cert);
    for (const auto& listed : entry.names) {
        const auto name = lower(listed);
        bool covered = false;
        if (name.starts_with("*.")) {
            for (const auto& san : sans) covered = covered || san == name;
        } else {
            covered = X509_check_host(cert, name.c_str(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                                                             X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                                      nullptr) == 1;
        }
        if (!covered) {
            std::string list;
            for (const auto& san : sans) list += (list.empty() ? "" : ", ") + san;
            return Problem{"cert = \"" + entry.cert + "\" does not cover '" + listed + "' (its DNS names: " +
                               (list.empty() ? "none" : list) + ")",
                           "remove the name from names, or use a certificate whose subjectAltName lists it (clients "
                           "ignore the subject's CN)"};
        }
    }
    out.context = std::move(context);
    out.cert_path = entry.cert;
    out.subject = subject_of(cert);
    return std::nullopt;
}

}  // namespace

TicketKeys make_ticket_keys() {
    TicketKeys keys{};
    if (RAND_bytes(keys.data(), static_cast<int>(keys.size())) != 1) throw std::runtime_error("no randomness for TLS ticket keys");
    return keys;
}

std::string wildcard_of(std::string_view name) {
    const auto dot = name.find('.');
    if (dot == std::string_view::npos || name.find('.', dot + 1) == std::string_view::npos) return {};
    return "*" + std::string(name.substr(dot));
}

CertificateSet::CertificateSet() : initial_(asio::ssl::context::tls_server) {}

std::shared_ptr<CertificateSet> CertificateSet::build(const config::Config& config, const TicketKeys& keys,
                                                      std::vector<config::Diagnostic>& problems) {
    std::shared_ptr<CertificateSet> set(new CertificateSet());
    SSL_CTX* initial = set->initial_.native_handle();
    if (!configure(initial, keys)) {
        problems.push_back({config.source_path, 0, "cannot set up TLS: " + openssl_reason(), "see the OpenSSL error"});
        return set;
    }
    SSL_CTX_set_tlsext_servername_callback(initial, &CertificateSet::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(initial, set.get());
    std::map<std::string, int> first_line;
    for (const auto& customer : config.customers) {
        for (const auto& entry : customer.certificates) {
            auto problem_of = [&](std::string what, std::string fix) {
                problems.push_back({config.source_path, entry.line, std::move(what), std::move(fix)});
            };
            bool names_ok = true;
            for (const auto& listed : entry.names) {
                const auto name = lower(listed);
                if (!belongs_to(customer, name)) {
                    std::string zones;
                    for (const auto& zone : customer.zones) zones += (zones.empty() ? "" : ", ") + zone;
                    problem_of("certificate name '" + listed + "' is not one of customer '" + customer.name + "''s names",
                               "list only names in its zones (" + (zones.empty() ? std::string("none") : zones) +
                                   ") or at/under its domains");
                    names_ok = false;
                }
                const auto [it, inserted] = first_line.emplace(name, entry.line);
                if (!inserted) {
                    problem_of("certificate name '" + listed + "' is listed twice (first on line " +
                                   std::to_string(it->second) + ")",
                               "each name gets one certificate: remove it from one of the names lists");
                    names_ok = false;
                }
            }
            auto certificate = std::make_shared<Certificate>();
            if (auto problem = load(entry, keys, *certificate)) {
                problem_of(std::move(problem->what), std::move(problem->fix));
                continue;
            }
            if (!names_ok) continue;
            set->certificates_.push_back(certificate);
            for (const auto& listed : entry.names) set->by_name_.emplace(lower(listed), certificate);
        }
    }
    return set;
}

const Certificate* CertificateSet::find(std::string_view name) const {
    // Heterogeneous lookup needs C++20 transparent hashing; names are short, one copy is fine.
    std::string key(name);
    if (const auto it = by_name_.find(key); it != by_name_.end()) return it->second.get();
    const auto wildcard = wildcard_of(key);
    if (wildcard.empty()) return nullptr;
    const auto it = by_name_.find(wildcard);
    return it == by_name_.end() ? nullptr : it->second.get();
}

int CertificateSet::on_server_name(SSL* ssl, int* alert, void* self) {
    const char* sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const Certificate* certificate =
        sent == nullptr ? nullptr : static_cast<const CertificateSet*>(self)->find(lower(sent));
    if (certificate == nullptr) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    if (SSL_set_SSL_CTX(ssl, certificate->context.get()) == nullptr) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

std::vector<config::Diagnostic> check_certificates(const config::Config& config) {
    std::vector<config::Diagnostic> problems;
    CertificateSet::build(config, make_ticket_keys(), problems);
    return problems;
}

}  // namespace udn::cache::tls
