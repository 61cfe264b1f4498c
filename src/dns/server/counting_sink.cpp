#include "dns/server/counting_sink.hpp"

#include <algorithm>

#include "common/runtime/metrics.hpp"
#include "dns/wire/types.hpp"

namespace udn::dns::server {

CountingSink::CountingSink(std::size_t workers, runtime::Registry& registry, QueryLog* log)
    : registry_(registry), log_(log), index_(std::make_shared<const Index>()) {
    for (std::size_t t = 0; t < 2; ++t) {
        for (std::size_t r = 0; r < rcode_slots; ++r) {
            by_transport_rcode_[t][r] = &registry.counter(
                "udn_dns_queries_total", "Queries answered, by transport and response code",
                {{"transport", t == 1 ? "tcp" : "udp"},
                 {"rcode", std::string{wire::rcode::name(static_cast<std::uint16_t>(r))}}});
        }
    }
    truncated_ = &registry.counter("udn_dns_truncated_total", "UDP responses sent with TC=1");
    for (std::size_t i = 0; i < workers; ++i)
        workers_.push_back(std::make_unique<WorkerState>(index_));
}

void CountingSink::rebuild(std::shared_ptr<const ServingState> serving) {
    std::lock_guard lock(rebuild_mutex_);
    auto index = std::make_shared<Index>();
    const auto& domains = *serving->domains;
    for (std::size_t d = 0; d < domains.size(); ++d) {
        const auto& domain = domains.domain(d);
        DomainSlots slots;
        slots.queries = &registry_.counter(
            "udn_dns_name_queries_total", "Address queries per GSLB name", {{"name", domain.name}});
        for (const auto& candidate : domain.candidates) {
            // A view of the candidate's own string: `serving` below keeps it alive.
            const std::string_view pop = candidate.pop.empty() ? std::string_view("origin")
                                                               : std::string_view(candidate.pop);
            for (const auto& address : candidate.addresses) {
                slots.answers.push_back(
                    {&address,
                     &registry_.counter("udn_dns_answers_total",
                                        "GSLB answers per name, first answer address and its POP",
                                        {{"name", domain.name},
                                         {"address", address.to_string()},
                                         {"pop", std::string(pop)}}),
                     pop});
            }
        }
        index->domains.push_back(std::move(slots));
    }
    index->serving = std::move(serving);
    index_.replace(std::move(index));
}

void CountingSink::on_query(std::size_t worker, const QueryInfo& info, const net::IpAddress& client,
                            Transport transport, std::int64_t now_ms) {
    if (worker >= workers_.size()) return;
    auto& state = *workers_[worker];
    by_transport_rcode_[transport == Transport::tcp]
                       [std::min<std::size_t>(info.rcode, rcode_slots - 1)]
                           ->add();
    if (info.truncated) truncated_->add();
    const Answer* answer = nullptr;
    if (info.gslb_domain >= 0) {
        const auto& index = state.reader.current();
        const auto domain = static_cast<std::size_t>(info.gslb_domain);
        if (domain < index.domains.size()) {
            const auto& slots = index.domains[domain];
            slots.queries->add();
            for (const auto& candidate : slots.answers) {
                if (candidate.address == info.first_answer) {
                    candidate.count->add();
                    answer = &candidate;
                    break;
                }
            }
        }
    }
    if (log_ == nullptr || !info.query.has_question) return;
    QueryLogEntry entry;
    entry.time_ms = now_ms;
    entry.client = client;
    entry.qname = &info.query.qname;
    entry.qname_text = info.qname_log_text;
    entry.qtype = info.query.qtype;
    entry.rcode = info.rcode;
    entry.transport = transport;
    if (answer != nullptr) {
        entry.answer = answer->address;
        entry.pop = answer->pop;
    }
    const auto& subnet = info.query.edns.client_subnet;
    net::IpAddress subnet_address;
    if (subnet.present) {
        const auto& bytes = subnet.address;
        subnet_address = subnet.family == 1
                             ? net::IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]})
                             : net::IpAddress::v6(bytes);
        entry.client_subnet = &subnet_address;
        entry.source_prefix_length = subnet.source_prefix_length;
        entry.scope_prefix_length = info.scope_prefix_length;
    }
    log_->add(worker, entry);
}

}  // namespace udn::dns::server
