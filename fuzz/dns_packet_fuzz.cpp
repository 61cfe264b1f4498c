// Fuzzes the DNS packet parsers: the query parser of the hot path and the full message decoder.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire/message.hpp"
#include "dns/wire/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    udn::dns::wire::Query query;
    (void)udn::dns::wire::parse_query(bytes, query);
    (void)udn::dns::wire::parse_message(bytes);
    return 0;
}
