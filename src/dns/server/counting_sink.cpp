#include "dns/server/counting_sink.hpp"

#include <fmt/format.h>

#include "dns/wire/types.hpp"

namespace udn::dns::server {
namespace {

std::string_view rcode_name(std::size_t rcode) {
    switch (rcode) {
        case wire::rcode::noerror: return "NOERROR";
        case wire::rcode::formerr: return "FORMERR";
        case wire::rcode::servfail: return "SERVFAIL";
        case wire::rcode::nxdomain: return "NXDOMAIN";
        case wire::rcode::notimp: return "NOTIMP";
        case wire::rcode::refused: return "REFUSED";
        case wire::rcode::badvers: return "BADVERS";
        default: return "OTHER";
    }
}

}  // namespace

CountingSink::CountingSink(std::size_t workers) : index_(std::make_shared<const Index>()) {
    for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerCounters>(index_));
}

void CountingSink::rebuild(std::shared_ptr<const ServingState> serving) {
    std::lock_guard lock(mutex_);
    auto index = std::make_shared<Index>();
    const auto& domains = *serving->domains;
    for (std::size_t d = 0; d < domains.size(); ++d) {
        const auto& domain = domains.domain(d);
        DomainSlots slots;
        auto& queries = name_queries_[domain.name];
        if (!queries) queries = std::make_unique<Count>(0);
        slots.queries = queries.get();
        for (const auto& candidate : domain.candidates) {
            for (const auto& address : candidate.addresses) {
                auto& count = answers_[{domain.name, address.to_string(), candidate.pop.empty() ? "origin" : candidate.pop}];
                if (!count) count = std::make_unique<Count>(0);
                slots.answers.emplace_back(&address, count.get());
            }
        }
        index->domains.push_back(std::move(slots));
    }
    index->serving = std::move(serving);
    index_.replace(std::move(index));
}

void CountingSink::on_query(std::size_t worker, const QueryInfo& info, const net::IpAddress& /*client*/,
                            Transport transport, std::int64_t /*now_ms*/) {
    if (worker >= workers_.size()) return;
    auto& counters = *workers_[worker];
    const std::size_t slot = info.rcode < rcode_slots ? info.rcode : rcode_slots - 1;
    counters.by_transport_rcode[transport == Transport::tcp][slot].fetch_add(1, std::memory_order_relaxed);
    if (info.truncated) counters.truncated.fetch_add(1, std::memory_order_relaxed);
    if (info.gslb_domain < 0) return;
    const auto& index = counters.reader.current();
    const auto domain = static_cast<std::size_t>(info.gslb_domain);
    if (domain >= index.domains.size()) return;
    const auto& slots = index.domains[domain];
    slots.queries->fetch_add(1, std::memory_order_relaxed);
    for (const auto& [address, count] : slots.answers) {
        if (address == info.first_answer) {
            count->fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
}

std::uint64_t CountingSink::total_queries() const {
    std::uint64_t total = 0;
    for (const auto& worker : workers_) {
        for (const auto& by_rcode : worker->by_transport_rcode) {
            for (const auto& count : by_rcode) total += count.load(std::memory_order_relaxed);
        }
    }
    return total;
}

std::string CountingSink::render_prometheus() const {
    std::string out;
    out += "# HELP udn_dns_queries_total Queries answered, by transport and response code.\n";
    out += "# TYPE udn_dns_queries_total counter\n";
    std::map<std::pair<std::string, std::string>, std::uint64_t> totals;
    std::uint64_t truncated = 0;
    for (const auto& worker : workers_) {
        for (std::size_t t = 0; t < 2; ++t) {
            for (std::size_t r = 0; r < rcode_slots; ++r) {
                const auto value = worker->by_transport_rcode[t][r].load(std::memory_order_relaxed);
                if (value > 0) totals[{t == 1 ? "tcp" : "udp", std::string(rcode_name(r))}] += value;
            }
        }
        truncated += worker->truncated.load(std::memory_order_relaxed);
    }
    for (const auto& [key, value] : totals) {
        out += fmt::format("udn_dns_queries_total{{transport=\"{}\",rcode=\"{}\"}} {}\n", key.first, key.second, value);
    }
    out += "# HELP udn_dns_truncated_total UDP responses sent with TC=1.\n# TYPE udn_dns_truncated_total counter\n";
    out += fmt::format("udn_dns_truncated_total {}\n", truncated);
    std::lock_guard lock(mutex_);
    out += "# HELP udn_dns_name_queries_total Address queries per GSLB name.\n";
    out += "# TYPE udn_dns_name_queries_total counter\n";
    for (const auto& [name, count] : name_queries_) {
        out += fmt::format("udn_dns_name_queries_total{{name=\"{}\"}} {}\n", name, count->load());
    }
    out += "# HELP udn_dns_answers_total GSLB answers per name, first answer address and its POP.\n";
    out += "# TYPE udn_dns_answers_total counter\n";
    for (const auto& [key, count] : answers_) {
        out += fmt::format("udn_dns_answers_total{{name=\"{}\",address=\"{}\",pop=\"{}\"}} {}\n", key.name,
                           key.address, key.pop, count->load());
    }
    return out;
}

}  // namespace udn::dns::server
