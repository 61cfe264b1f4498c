// Writes a DNS response into a caller-owned buffer without allocating: header and echoed
// question, resource records with name compression (owner names and names inside NS, CNAME,
// MX and SOA data), and a final OPT record whose space is reserved up front so that it always
// fits. A record that does not fit leaves the message unchanged and reports it, so the caller
// can roll back to a mark and set TC.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "dns/wire/name.hpp"
#include "dns/wire/query.hpp"

namespace udn::dns::wire {

enum class Section : std::uint8_t { answer, authority, additional };

// Record data as up to two compressible names between fixed byte strings: covers A, AAAA, TXT
// (prefix only), NS and CNAME (one name), MX (prefix + name) and SOA (two names + suffix).
struct RdataParts {
    std::span<const std::uint8_t> prefix;
    const Name* first_name = nullptr;
    const Name* second_name = nullptr;
    std::span<const std::uint8_t> suffix;
};

class ResponseBuilder {
public:
    // `limit_bytes` is the largest message the client accepts (512, its EDNS size, or 65535 on TCP).
    ResponseBuilder(std::span<std::uint8_t> buffer, std::size_t limit_bytes);

    // Header copied from the query (id, opcode, RD, CD), QR set; echoes the question when it parsed.
    void start(const Query& query);
    void set_rcode(std::uint16_t extended_rcode);  // low 4 bits here, the rest go into the OPT
    void set_flags(std::uint16_t flags) { flags_ |= flags; }
    std::uint16_t flags() const { return flags_; }
    // Keeps room for the OPT record written by finish(); call before adding records.
    void reserve_opt(const Edns& response_edns);
    // The ECS scope is known only after the decision; it does not change the OPT's size.
    void set_client_subnet_scope(std::uint8_t scope_prefix_length) {
        opt_.client_subnet.scope_prefix_length = scope_prefix_length;
    }
    bool opt_reserved() const { return opt_reserved_; }

    bool add_record(Section section, const Name& owner, std::uint16_t type, std::uint32_t ttl_s,
                    const RdataParts& rdata);

    struct Mark {
        std::size_t size_bytes;
        std::array<std::uint16_t, 3> counts;
        std::size_t compression_entries;
    };
    Mark mark() const { return {size_, counts_, compression_count_}; }
    void rollback(const Mark& mark);

    // Patches the header counts, appends the reserved OPT; returns the message length.
    std::size_t finish();
    std::uint16_t count(Section section) const { return counts_[static_cast<int>(section)]; }

private:
    bool write_name(const Name& name);
    void index_question();
    bool fits(std::size_t bytes) const { return size_ + bytes <= limit_; }
    void put_u16(std::size_t at, std::uint16_t value);
    void append_u16(std::uint16_t value);
    void append_u32(std::uint32_t value);
    void append_bytes(std::span<const std::uint8_t> bytes);
    bool matches_at(std::size_t offset, std::span<const std::uint8_t> suffix) const;
    // `owner` is the echoed question's name (call only when question_size_bytes_ != 0).
    bool is_question(const Name& owner) const;
    bool add_record_at_question(Section section, std::uint16_t type, std::uint32_t ttl_s, const RdataParts& rdata);

    static constexpr std::size_t max_compression_entries = 48;
    // A label in the message that a later name may point to.
    struct CompressionTarget {
        std::uint16_t offset;
        // The length of the name from there, uncompressed: only a suffix of exactly this length
        // can match it, so one compare skips the byte comparison for nearly every target. (An
        // NXDOMAIN's SOA searched ~15 of them; the search was a fifth of udn's instructions on
        // a mix with 20 % NXDOMAIN.)
        std::uint8_t name_bytes;
    };
    std::span<std::uint8_t> buffer_;
    std::size_t limit_;
    std::size_t size_ = 0;
    std::uint16_t flags_ = 0;
    std::uint16_t extended_rcode_ = 0;
    std::array<std::uint16_t, 3> counts_{};
    // Not cleared: only the first compression_count_ are ever read, and a builder per query
    // zeroing 192 bytes it rarely uses showed in profiles.
    std::array<CompressionTarget, max_compression_entries> compression_targets_;
    std::size_t compression_count_ = 0;
    const Name* question_ = nullptr;       // the query's name object, while start()'s query lives
    std::size_t question_size_bytes_ = 0;  // the echoed question's name (not the root) at offset 12; 0: none
    std::size_t question_entries_ = 0;     // compression entries of the question's labels; 0: not yet made
    bool opt_reserved_ = false;
    Edns opt_;
};

}  // namespace udn::dns::wire
