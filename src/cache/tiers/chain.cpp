// Cache-Status chaining and --backend parsing; see chain.hpp.
#include "cache/tiers/chain.hpp"

#include <boost/asio/ip/address.hpp>

#include "cache/http/syntax.hpp"

namespace udn::cache::tiers {

std::string take_own_entry(std::vector<std::pair<std::string, std::string>>& headers) {
    for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
        if (!http::iequals(it->first, "cache-status")) continue;
        std::string value = std::move(it->second);
        headers.erase(std::next(it).base());
        return value;
    }
    return {};
}

std::string_view result_of_entry(std::string_view entry) {
    const auto semicolon = entry.find(';');
    if (semicolon == std::string_view::npos) return "-";
    std::string_view params = entry.substr(semicolon + 1);
    bool hit = false, stale_detail = false, collapsed = false, unreachable = false;
    std::string_view fwd;
    while (!params.empty()) {
        const auto next = params.find(';');
        const auto param = http::trim(params.substr(0, next));
        if (param == "hit") hit = true;
        else if (param == "collapsed") collapsed = true;
        else if (param == "detail=stale-while-revalidate" || param == "detail=stale-if-error") stale_detail = true;
        else if (param == "detail=origin-unreachable") unreachable = true;
        else if (param.starts_with("fwd=")) fwd = param.substr(4);
        if (next == std::string_view::npos) break;
        params.remove_prefix(next + 1);
    }
    if (hit) return stale_detail ? "STALE" : "HIT";
    if (unreachable) return "ERROR";
    if (fwd == "stale") return stale_detail ? "STALE" : "REVALIDATED";
    if (fwd == "miss") return collapsed ? "COLLAPSED" : "MISS";
    if (fwd == "partial") return "PARTIAL";
    if (fwd == "method" || fwd == "bypass" || fwd == "request") return "PASS";
    return "-";
}

bool via_names(std::string_view via, std::string_view name) {
    while (!via.empty()) {
        const auto comma = via.find(',');
        auto item = http::trim(via.substr(0, comma));
        const auto space = item.find(' ');
        if (space != std::string_view::npos) {
            item = http::trim(item.substr(space + 1));
            if (item.substr(0, item.find(' ')) == name) return true;
        }
        if (comma == std::string_view::npos) break;
        via.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<HostPort> parse_host_port(std::string_view text, std::string& error) {
    std::string_view host;
    std::string_view port;
    if (text.starts_with("[")) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            error = "'" + std::string(text) + "': an IPv6 back is written [ADDRESS]:PORT, e.g. [::1]:8081";
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            error = "'" + std::string(text) + "': expected ADDRESS:PORT, e.g. 127.0.0.2:8081";
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(host), ec);
    if (ec || host.empty()) {
        error = "'" + std::string(text) + "': '" + std::string(host) + "' is not an IP address (names are not resolved)";
        return std::nullopt;
    }
    unsigned value = 0;
    bool valid = !port.empty() && port.size() <= 5;
    for (const char c : port) {
        if (c < '0' || c > '9') valid = false;
        else value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (!valid || value == 0 || value > 65535) {
        error = "'" + std::string(text) + "': the port must be a number from 1 to 65535";
        return std::nullopt;
    }
    return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace udn::cache::tiers
