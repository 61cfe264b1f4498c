// The one include of Boost.Asio for the cache: Boost 1.74's awaitable.hpp uses std::exchange
// without including <utility>, so it must come first.
#pragma once
#include <utility>

#include <boost/asio.hpp>

namespace udn::cache {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
template <class T>
using awaitable = asio::awaitable<T>;
using asio::use_awaitable;

}  // namespace udn::cache
