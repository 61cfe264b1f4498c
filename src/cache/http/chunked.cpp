// Incremental chunked transfer-coding decoder; see chunked.hpp.
#include "cache/http/chunked.hpp"

#include <algorithm>

#include "cache/http/syntax.hpp"

namespace udn::cache::http {

ChunkedDecoder::Step ChunkedDecoder::fail(std::size_t consumed, std::string_view reason) {
    state_ = State::failed;
    Step step;
    step.consumed = consumed;
    step.error = true;
    step.error_reason = reason;
    return step;
}

ChunkedDecoder::Step ChunkedDecoder::next(std::span<const char> input) {
    std::size_t i = 0;
    while (i < input.size()) {
        const char c = input[i];
        switch (state_) {
        case State::size: {
            const int value = hex_value(c);
            if (value >= 0) {
                if (++digits_ > max_size_digits) return fail(i, "chunk size too large");
                remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(value);
            } else if (digits_ == 0) {
                return fail(i, "missing chunk size");
            } else if (c == ';') {
                state_ = State::extension;
                line_bytes_ = 0;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else {
                return fail(i, "invalid chunk size");
            }
            ++i;
            break;
        }
        case State::extension:
            if (c == '\r') state_ = State::size_lf;
            else if (c == '\n') return fail(i, "bare LF in chunk extension");
            else if (++line_bytes_ > max_line_bytes) return fail(i, "chunk extension too long");
            ++i;
            break;
        case State::size_lf:
            if (c != '\n') return fail(i, "bare CR after chunk size");
            ++i;
            digits_ = 0;
            if (remaining_ == 0) {
                state_ = State::trailer;
                line_bytes_ = 0;
                trailer_line_empty_ = true;
            } else {
                state_ = State::data;
            }
            break;
        case State::data: {
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - i));
            remaining_ -= take;
            if (remaining_ == 0) state_ = State::data_cr;
            Step step;
            step.consumed = i + take;
            step.data = input.subspan(i, take);
            return step;
        }
        case State::data_cr:
            if (c != '\r') return fail(i, "missing CRLF after chunk data");
            state_ = State::data_lf;
            ++i;
            break;
        case State::data_lf:
            if (c != '\n') return fail(i, "missing CRLF after chunk data");
            state_ = State::size;
            ++i;
            break;
        case State::trailer:
            if (c == '\r') {
                state_ = State::trailer_lf;
            } else if (c == '\n') {
                return fail(i, "bare LF in trailer");
            } else {
                trailer_line_empty_ = false;
                if (++line_bytes_ > max_line_bytes) return fail(i, "trailer too long");
            }
            ++i;
            break;
        case State::trailer_lf:
            if (c != '\n') return fail(i, "bare CR in trailer");
            ++i;
            if (trailer_line_empty_) {
                state_ = State::done;
                Step step;
                step.consumed = i;
                step.done = true;
                return step;
            }
            state_ = State::trailer;
            trailer_line_empty_ = true;
            break;
        case State::done: {
            Step step;
            step.consumed = i;
            step.done = true;
            return step;
        }
        case State::failed:
            return fail(i, "decoder already failed");
        }
    }
    Step step;
    step.consumed = i;
    step.done = state_ == State::done;
    step.error = state_ == State::failed;
    return step;
}

}  // namespace udn::cache::http
