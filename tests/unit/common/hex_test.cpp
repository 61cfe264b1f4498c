// Hex text of bytes and back.
#include "common/crypto/hex.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace udn::crypto {
namespace {

TEST(Hex, BytesAndBack) {
    const std::vector<std::uint8_t> bytes{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    EXPECT_EQ(to_hex(bytes), "00017f80abff");
    EXPECT_EQ(to_hex(std::string_view("\x00\xff", 2)), "00ff");
    EXPECT_EQ(to_hex(std::vector<std::uint8_t>{}), "");
    EXPECT_EQ(from_hex("00017f80abff"), bytes);
    EXPECT_EQ(from_hex("00017F80ABFF"), bytes);  // either case
    EXPECT_EQ(from_hex(""), std::vector<std::uint8_t>{});
}

TEST(Hex, RejectsWhatIsNotPairsOfHexDigits) {
    for (const char* text : {"0", "abc", "0g", "g0", " 00", "00 ", "0x00", "-1"})
        EXPECT_FALSE(from_hex(text).has_value()) << text;
}

}  // namespace
}  // namespace udn::crypto
