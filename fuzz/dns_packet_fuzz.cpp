// Fuzzes the DNS packet parsers (the hot path's query parser and the full message decoder) and
// the whole query handler over a small zone set: every input must give either no response or a
// well-formed one, over UDP and TCP.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "dns/server/query_handler.hpp"
#include "dns/wire/message.hpp"
#include "dns/wire/query.hpp"

namespace {

using namespace udn;

config::Config make_config() {
    config::Config c;
    c.network.domain = "udn.example";
    c.network.cdn_zone = "cdn.example";
    config::Pop pop;
    pop.name = "eu";
    config::Server ns;
    ns.name = "ns1";
    ns.pop = "eu";
    ns.addresses = {*net::IpAddress::parse("127.0.0.1"), *net::IpAddress::parse("::1")};
    ns.roles = {config::Role::dns, config::Role::cache};
    pop.servers.push_back(ns);
    c.pops.push_back(pop);
    config::Customer customer;
    customer.name = "acme";
    customer.zones = {"acme.example"};
    config::Origin origin;
    origin.name = "o1";
    origin.address = *net::IpAddress::parse("192.0.2.1");
    customer.origins.push_back(origin);
    config::Domain www;
    www.name = "www.acme.example";
    www.origins = {"o1"};
    www.policy.persistence_s = 60;
    customer.domains.push_back(www);
    config::Domain cdn;
    cdn.name = "acme.cdn.example";
    cdn.kind = config::DomainKind::static_name;
    cdn.origins = {"o1"};
    customer.domains.push_back(cdn);
    for (const auto& [name, type, value] : {std::tuple{"acme.example", "TXT", "hello"},
                                            std::tuple{"a.acme.example", "CNAME", "www.acme.example"},
                                            std::tuple{"sub.acme.example", "NS", "ns.sub.acme.example"},
                                            std::tuple{"ns.sub.acme.example", "A", "192.0.2.53"}}) {
        config::Record record;
        record.name = name;
        record.type = type;
        record.value = value;
        customer.records.push_back(record);
    }
    c.customers.push_back(customer);
    return c;
}

dns::server::SharedState& shared_state() {
    static auto* shared = [] {
        std::vector<std::string> errors;
        auto serving = dns::server::ServingState::build(std::make_shared<config::Config>(make_config()), 1, errors);
        if (!serving) std::abort();
        return new dns::server::SharedState(serving, {1024, 4, 1024});
    }();
    return *shared;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    dns::wire::Query query;
    (void)dns::wire::parse_query(bytes, query);
    (void)dns::wire::parse_message(bytes);
    static dns::server::QueryHandler handler(shared_state(), 1);
    static std::vector<std::uint8_t> out(dns::server::response_buffer_bytes);
    dns::server::QueryInfo info;
    for (const auto transport : {dns::server::Transport::udp, dns::server::Transport::tcp}) {
        const auto length = handler.handle(bytes, *net::IpAddress::parse("198.51.100.1"), transport, out, 1'000'000, info);
        if (length > (transport == dns::server::Transport::udp ? 1232u : 65535u)) std::abort();
        if (length > 0 && !dns::wire::parse_message({out.data(), length})) std::abort();
    }
    return 0;
}
