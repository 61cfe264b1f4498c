// The reason OpenSSL gives for the call that just failed, as text for an error message, for every
// component that uses OpenSSL directly (the cache's TLS, configd's transport).
#pragma once
#include <string>
#include <string_view>

namespace udn::crypto {

// Takes (and clears) the first queued OpenSSL error; `when_none` is what the caller knows when
// OpenSSL queued nothing (e.g. the peer closed the connection).
std::string openssl_error(std::string_view when_none);

}  // namespace udn::crypto
