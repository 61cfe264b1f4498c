#include "common/crypto/openssl_error.hpp"

#include <openssl/err.h>

namespace udn::crypto {

std::string openssl_error(std::string_view when_none) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return std::string(when_none);
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

}  // namespace udn::crypto
