// Incremental decoder of the chunked transfer coding (RFC 9112 section 7.1), used for request
// bodies from clients and response bodies from origins. Chunk extensions are skipped, trailers
// discarded; sizes and line lengths are bounded so a hostile peer cannot make it buffer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace udn::cache::http {

class ChunkedDecoder {
public:
    struct Step {
        std::size_t consumed = 0;        // bytes of the input used by this step
        std::span<const char> data;      // decoded body bytes (a view into the input), maybe empty
        bool done = false;               // the last chunk and trailers are complete
        bool error = false;
        std::string_view error_reason;
    };

    // Decodes from the start of `input`; call again with the unconsumed rest (and more data)
    // until done or error. Never reads beyond `input`.
    Step next(std::span<const char> input);
    bool done() const { return state_ == State::done; }

private:
    enum class State : std::uint8_t { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done, failed };
    static constexpr std::size_t max_size_digits = 15;
    static constexpr std::size_t max_line_bytes = 4096;

    Step fail(std::size_t consumed, std::string_view reason);

    State state_ = State::size;
    std::uint64_t remaining_ = 0;
    std::size_t digits_ = 0;
    std::size_t line_bytes_ = 0;
    bool trailer_line_empty_ = true;
};

}  // namespace udn::cache::http
