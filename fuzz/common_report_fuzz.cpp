// Fuzzes the report-protocol decoder (src/common/report/codec.hpp). The input is signed with a
// fixed key before decoding, so the fuzzer explores the field parser behind the MAC, and it is
// also decoded as-is to cover the unauthenticated prefix checks. Decoded messages must
// re-encode, in the version they came in, to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/report/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto key = *udn::report::Key::from_bytes(std::vector<std::uint8_t>(32, 0x42));
    const std::span input(data, size);
    (void)udn::report::decode(input, key);

    std::vector<std::uint8_t> signed_input(data, data + size);
    const auto mac = key.mac(signed_input);
    signed_input.insert(signed_input.end(), mac.begin(), mac.end());
    auto message = udn::report::decode(signed_input, key);
    if (!message) return 0;
    // decode() succeeded, so the version byte (offset 4) exists and is one it speaks.
    auto again = udn::report::encode_as(signed_input[4], message.value().header, message.value().body, key);
    if (!again || again.value() != signed_input) std::abort();
    return 0;
}
