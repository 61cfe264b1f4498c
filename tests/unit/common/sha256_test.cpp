// SHA-256, streaming and in one call (FIPS 180-2 test vectors).
#include "common/crypto/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace udn::crypto {
namespace {

TEST(Sha256, PiecesGiveTheDigestOfTheWhole) {
    Sha256 whole;
    whole.add("abc");
    EXPECT_EQ(whole.finish_hex(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 pieces;
    for (const char* piece : {"abcdbcdecdefdefgefghfghighijhi", "", "jkijkljklmklmnlmnomnopnopq"})
        pieces.add(piece);
    const auto digest = pieces.finish();
    EXPECT_EQ(digest[0], 0x24);
    EXPECT_EQ(digest[31], 0xc1);
    Sha256 empty;
    EXPECT_EQ(empty.finish_hex(),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, OneBufferInOneCall) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const auto digest = sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    EXPECT_EQ(digest[0], 0x24);
    EXPECT_EQ(digest[31], 0xc1);
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace udn::crypto
