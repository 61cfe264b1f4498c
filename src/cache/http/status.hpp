// Reason phrases of the HTTP status codes the cache sends or relays.
#pragma once
#include <string_view>

namespace udn::cache::http {

std::string_view reason_phrase(int status);

}  // namespace udn::cache::http
