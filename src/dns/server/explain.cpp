#include "dns/server/explain.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "dns/gslb/engine.hpp"

namespace udn::dns::server {
namespace {

std::string lower_without_dot(std::string_view name) {
    std::string out(name);
    if (!out.empty() && out.back() == '.') out.pop_back();
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string url_encode(std::string_view text) {
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

}  // namespace

ExplainResult explain_decision(const ServingState& serving, const SharedState* shared, std::string_view name,
                               std::string_view client_text, std::string_view type, std::int64_t now_ms) {
    const int index = serving.domains->find(lower_without_dot(name));
    if (index < 0) {
        return {false, fmt::format("{} is not a GSLB name of any customer — use a customers[].domains[].name", name)};
    }
    std::string cidr_text(client_text);
    if (cidr_text.find('/') == std::string::npos) cidr_text += cidr_text.find(':') == std::string::npos ? "/32" : "/128";
    const auto client = net::Cidr::parse(cidr_text);
    if (!client) return {false, fmt::format("\"{}\" is not an IP address or CIDR — e.g. 192.0.2.1 or 192.0.2.0/24", client_text)};
    if (type != "A" && type != "AAAA") return {false, fmt::format("type \"{}\" — use A or AAAA", type)};
    const bool subnet = client->prefix_length() < (client->network().is_v4() ? 32u : 128u);
    gslb::ObservationView no_observations;
    const auto observations = shared ? shared->observations.snapshot().get() : nullptr;
    const gslb::EngineInputs inputs{serving.config.get(), observations ? observations.get() : &no_observations,
                                    shared ? &shared->latency : nullptr, nullptr, nullptr, now_ms, serving.geo.get(),
                                    serving.latency_slots};
    gslb::RandomState random;
    gslb::Explanation explanation;
    const auto family = type == "AAAA" ? net::IpAddress::Family::v6 : net::IpAddress::Family::v4;
    const auto decision = gslb::decide(serving.domains->domain(static_cast<std::size_t>(index)), family,
                                       {client->network(), client->prefix_length(), subnet}, inputs, random, &explanation);
    auto text = explanation.to_text();
    if (shared == nullptr) text += "note: computed from the configuration alone (no probe data); add --server to ask a running server\n";
    if (decision.outcome == gslb::Decision::Outcome::servfail) text += "answer: SERVFAIL\n";
    return {true, text};
}

std::string fetch_explanation(const net::Endpoint& admin, std::string_view name, std::string_view client,
                              std::string_view type) {
    sockaddr_storage address{};
    const auto length = admin.address.to_sockaddr(admin.port, address);
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket: cannot create");
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        ::close(fd);
        throw std::runtime_error(fmt::format("cannot connect to the dns admin endpoint {} — is `udn dns` running there?",
                                             admin.to_string()));
    }
    const auto request = fmt::format("GET /explain?name={}&client={}&type={} HTTP/1.0\r\nHost: {}\r\n\r\n",
                                     url_encode(name), url_encode(client), url_encode(type), admin.to_string());
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char chunk[4096];
    for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0 && response.size() < (1 << 20);) response.append(chunk, static_cast<std::size_t>(n));
    ::close(fd);
    const auto body_at = response.find("\r\n\r\n");
    if (body_at == std::string::npos) throw std::runtime_error("malformed response from " + admin.to_string());
    const auto body = response.substr(body_at + 4);
    if (response.compare(0, 12, "HTTP/1.1 200") != 0 && response.compare(0, 12, "HTTP/1.0 200") != 0) {
        throw std::runtime_error(body);
    }
    return body;
}

}  // namespace udn::dns::server
