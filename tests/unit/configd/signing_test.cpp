// Signing and verification of configurations: what a node accepts and every reason it refuses.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "configd/signing/envelope.hpp"

namespace udn::configd {
namespace {

config::Config current_with_key(const std::string& name, const signing::PrivateKey& key, std::uint64_t version) {
    config::Config config;
    config.version = version;
    config.admin_keys.push_back({{}, name, signing::base64_encode(key.public_key_raw())});
    return config;
}

class SigningTest : public ::testing::Test {
protected:
    signing::PrivateKey admin_ = signing::PrivateKey::generate();
    config::Config current_ = current_with_key("ops", admin_, 4);
    SignedConfig incoming_ = sign_config("version = 5\n", 5, "ops", random_push_id(), admin_);
};

TEST_F(SigningTest, AcceptsNewerConfigSignedByAdminKey) {
    EXPECT_TRUE(verify_signed_config(incoming_, current_, 4).accepted);
}

TEST_F(SigningTest, RejectsTamperedFile) {
    incoming_.file_bytes[0] = 'V';
    const auto verdict = verify_signed_config(incoming_, current_, 4);
    EXPECT_FALSE(verdict.accepted);
    EXPECT_NE(verdict.reason.find("bad signature"), std::string::npos);
}

TEST_F(SigningTest, RejectsTamperedVersionOrPushId) {
    auto bumped = incoming_;
    bumped.version = 6;
    EXPECT_FALSE(verify_signed_config(bumped, current_, 4).accepted);
    auto other_id = incoming_;
    other_id.push_id = random_push_id();
    EXPECT_FALSE(verify_signed_config(other_id, current_, 4).accepted);
}

TEST_F(SigningTest, RejectsUnsigned) {
    incoming_.signature.clear();
    const auto verdict = verify_signed_config(incoming_, current_, 4);
    EXPECT_FALSE(verdict.accepted);
    EXPECT_EQ(verdict.reason, "unsigned configuration");
}

TEST_F(SigningTest, RejectsKeyNotListedAsAdmin) {
    const auto stranger = signing::PrivateKey::generate();
    const auto by_stranger = sign_config("version = 5\n", 5, "stranger", random_push_id(), stranger);
    const auto verdict = verify_signed_config(by_stranger, current_, 4);
    EXPECT_FALSE(verdict.accepted);
    EXPECT_NE(verdict.reason.find("not an admin key"), std::string::npos);
}

TEST_F(SigningTest, RejectsWrongKeyUnderAdminName) {
    const auto stranger = signing::PrivateKey::generate();
    const auto forged = sign_config("version = 5\n", 5, "ops", random_push_id(), stranger);
    const auto verdict = verify_signed_config(forged, current_, 4);
    EXPECT_FALSE(verdict.accepted);
    EXPECT_NE(verdict.reason.find("bad signature"), std::string::npos);
}

TEST_F(SigningTest, RejectsOlderAndReplayedVersions) {
    EXPECT_FALSE(verify_signed_config(incoming_, current_, 5).accepted);  // the same version again
    const auto verdict = verify_signed_config(incoming_, current_, 7);
    EXPECT_FALSE(verdict.accepted);
    EXPECT_NE(verdict.reason.find("not newer"), std::string::npos);
}

TEST_F(SigningTest, FileVersionMustMatchSignedVersion) {
    config::Config parsed;
    parsed.version = 5;
    EXPECT_TRUE(verify_file_version(incoming_, parsed).accepted);
    parsed.version = 9;
    EXPECT_FALSE(verify_file_version(incoming_, parsed).accepted);
}

TEST(SigningKeyTest, LoadsTheDemoAdminKeyAndItMatchesTheDemoConfig) {
    std::string error;
    const auto key = signing::PrivateKey::load_pem_file(std::string(UDN_SOURCE_DIR) + "/examples/demo-admin.key", error);
    ASSERT_TRUE(key) << error;
    std::ifstream demo(std::string(UDN_SOURCE_DIR) + "/examples/demo.toml");
    const std::string text{std::istreambuf_iterator<char>(demo), std::istreambuf_iterator<char>()};
    EXPECT_NE(text.find("public_key = \"" + signing::base64_encode(key->public_key_raw()) + "\""), std::string::npos);
}

TEST(SigningKeyTest, RejectsNonKeyFiles) {
    std::string error;
    EXPECT_FALSE(signing::PrivateKey::from_pem("not a key", error));
    EXPECT_FALSE(error.empty());
}

TEST(Base64Test, RoundTripsAndRejectsMalformed) {
    for (const std::string& text : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        EXPECT_EQ(signing::base64_decode(signing::base64_encode(text)), text);
    }
    EXPECT_FALSE(signing::base64_decode("abc"));
    EXPECT_FALSE(signing::base64_decode("ab=c"));
    EXPECT_FALSE(signing::base64_decode("a*cd"));
}

}  // namespace
}  // namespace udn::configd
