// HTTPS certificates: SNI name lookup (exact, then a one-label wildcard) and every problem the
// checks report with the configuration line. Certificates are generated here with OpenSSL.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "cache/tls/certificates.hpp"

namespace udn::cache::tls {
namespace {

namespace fs = std::filesystem;

// Writes <dir>/<stem>.pem and <stem>.key: a self-signed P-256 certificate for `sans`.
void make_certificate(const fs::path& dir, const std::string& stem, const std::string& common_name,
                      const std::string& sans) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    ASSERT_NE(key, nullptr);
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, sans.c_str());
    ASSERT_NE(extension, nullptr);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    X509_sign(cert, key, EVP_sha256());
    FILE* out = std::fopen((dir / (stem + ".pem")).c_str(), "w");
    PEM_write_X509(out, cert);
    std::fclose(out);
    out = std::fopen((dir / (stem + ".key")).c_str(), "w");
    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    X509_free(cert);
    EVP_PKEY_free(key);
}

class Certificates : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("udn-tls-test-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        make_certificate(dir_, "acme", "img.acme.test", "DNS:img.acme.test,DNS:acme.cdn.test");
        make_certificate(dir_, "globex", "globex", "DNS:*.globex.test");
        config_.source_path = "net.toml";
        config::Customer acme;
        acme.name = "acme";
        acme.zones = {"acme.test"};
        config::Domain cdn;
        cdn.name = "acme.cdn.test";
        acme.domains.push_back(cdn);
        acme.certificates.push_back(entry(10, {"img.acme.test", "acme.cdn.test"}, "acme"));
        config::Customer globex;
        globex.name = "globex";
        globex.zones = {"globex.test"};
        globex.certificates.push_back(entry(20, {"*.globex.test"}, "globex"));
        config_.customers = {acme, globex};
    }
    void TearDown() override { fs::remove_all(dir_); }

    config::Certificate entry(int line, std::vector<std::string> names, const std::string& stem) const {
        config::Certificate certificate;
        certificate.line = line;
        certificate.names = std::move(names);
        certificate.cert = (dir_ / (stem + ".pem")).string();
        certificate.key = (dir_ / (stem + ".key")).string();
        return certificate;
    }

    // The one problem building reports, as "line: what".
    std::string only_problem() {
        std::vector<config::Diagnostic> problems;
        CertificateSet::build(config_, make_ticket_keys(), problems);
        if (problems.size() != 1) return "expected one problem, got " + std::to_string(problems.size());
        return std::to_string(problems[0].line) + ": " + problems[0].what;
    }

    fs::path dir_;
    config::Config config_;
};

TEST(Wildcard, CoversOneLabelBelowASecondLevelName) {
    EXPECT_EQ(wildcard_of("img.acme.test"), "*.acme.test");
    EXPECT_EQ(wildcard_of("a.b.acme.test"), "*.b.acme.test");
    EXPECT_EQ(wildcard_of("acme.test"), "");
    EXPECT_EQ(wildcard_of("test"), "");
}

TEST_F(Certificates, SniFindsExactNamesThenWildcards) {
    std::vector<config::Diagnostic> problems;
    const auto set = CertificateSet::build(config_, make_ticket_keys(), problems);
    ASSERT_TRUE(problems.empty()) << problems[0].to_string();
    EXPECT_EQ(set->certificate_count(), 2u);
    const auto* acme = set->find("img.acme.test");
    ASSERT_NE(acme, nullptr);
    EXPECT_EQ(set->find("acme.cdn.test"), acme);
    EXPECT_NE(acme->subject.find("CN=img.acme.test"), std::string::npos);
    const auto* globex = set->find("static.globex.test");
    ASSERT_NE(globex, nullptr);
    EXPECT_NE(globex, acme);
    EXPECT_EQ(set->find("a.static.globex.test"), nullptr);  // one label only
    EXPECT_EQ(set->find("globex.test"), nullptr);
    EXPECT_EQ(set->find("www.acme.test"), nullptr);
}

TEST_F(Certificates, MissingFileIsReportedWithItsLine) {
    config_.customers[0].certificates[0].cert = (dir_ / "nope.pem").string();
    const auto problem = only_problem();
    EXPECT_EQ(problem.rfind("10: cert = \"", 0), 0u) << problem;
    EXPECT_NE(problem.find("cannot read it (No such file or directory)"), std::string::npos) << problem;
}

TEST_F(Certificates, KeyOfAnotherCertificateIsRefused) {
    config_.customers[0].certificates[0].key = (dir_ / "globex.key").string();
    EXPECT_NE(only_problem().find("10: key = \"" + (dir_ / "globex.key").string() + "\" does not match"),
              std::string::npos);
}

TEST_F(Certificates, KeyFileWithoutAKeyIsRefused) {
    config_.customers[0].certificates[0].key = (dir_ / "acme.pem").string();
    EXPECT_NE(only_problem().find("holds no unencrypted PEM private key"), std::string::npos);
}

TEST_F(Certificates, NameTheCertificateDoesNotCoverIsRefused) {
    config_.customers[0].certificates[0].names.push_back("www.acme.test");
    EXPECT_EQ(only_problem(), "10: cert = \"" + (dir_ / "acme.pem").string() +
                                  "\" does not cover 'www.acme.test' (its DNS names: img.acme.test, acme.cdn.test)");
}

TEST_F(Certificates, WildcardNameNeedsTheWildcardInTheCertificate) {
    config_.customers[0].certificates[0].names.push_back("*.acme.test");
    EXPECT_NE(only_problem().find("does not cover '*.acme.test'"), std::string::npos);
}

TEST_F(Certificates, AnotherCustomersNameIsRefused) {
    config_.customers[1].certificates.push_back(entry(30, {"img.acme.test"}, "acme"));
    std::vector<config::Diagnostic> problems;
    CertificateSet::build(config_, make_ticket_keys(), problems);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].line, 30);
    EXPECT_EQ(problems[0].what, "certificate name 'img.acme.test' is not one of customer 'globex''s names");
    EXPECT_EQ(problems[1].what, "certificate name 'img.acme.test' is listed twice (first on line 10)");
}

}  // namespace
}  // namespace udn::cache::tls
