#include "dns/server/query_handler.hpp"

#include <algorithm>
#include <random>

#include "dns/wire/builder.hpp"

namespace udn::dns::server {
namespace {

using wire::Section;
namespace rr_type = wire::rr_type;
namespace rcode = wire::rcode;

constexpr int max_cname_hops = 8;

// One response in the making: the parts of the answer logic share these.
class Answerer {
public:
    Answerer(const ServingState& serving, const gslb::EngineInputs& inputs, gslb::RandomState& random,
             gslb::RankingCache& rankings, std::uint64_t epoch, wire::ResponseBuilder& builder,
             const wire::Query& query, const gslb::Client& client, QueryInfo& info,
             const cluster::Forwarder* forwarder)
        : serving_(serving), zones_(*serving.zones), inputs_(inputs), random_(random), rankings_(rankings),
          epoch_(epoch), builder_(builder), query_(query), client_(client), info_(info), forwarder_(forwarder) {}

    void answer() {
        if (query_.qclass != wire::class_in) return finish_rcode(rcode::refused);
        if (query_.qtype == rr_type::axfr || query_.qtype == rr_type::ixfr) return finish_rcode(rcode::refused);
        if (query_.qtype == rr_type::opt) return finish_rcode(rcode::formerr);
        if (query_.qtype >= 128 && query_.qtype < 255) return finish_rcode(rcode::notimp);
        const auto& lowered = query_.qname_lowered;
        // Most questions name a node: one hash of the whole name finds it and its zone; only
        // the others search for the longest apex (NXDOMAIN or REFUSED).
        const auto* node = zones_.find_node(lowered);
        const zone::Zone* zone = nullptr;
        if (node != nullptr) {
            zone = &zones_.zone(node->zone_index);
            info_.qname_log_text = node->log_text;  // find_node matches the whole name exactly
        } else {
            std::size_t zone_index = 0;
            zone = zones_.find_zone(lowered, zone_index);
            if (zone == nullptr) return finish_rcode(rcode::refused);
        }
        after_question_ = builder_.mark();
        if (zone->has_delegations && answer_referral(lowered, *zone)) return;
        builder_.set_flags(wire::flag::aa);
        if (node == nullptr) return negative(rcode::nxdomain, *zone);
        answer_node(*node, query_.qname, 0);
    }

private:
    void finish_rcode(std::uint16_t code) {
        builder_.set_rcode(code);
        info_.rcode = code;
    }

    void truncate() {
        builder_.rollback(after_question_);
        builder_.set_flags(wire::flag::tc);
        info_.truncated = true;
    }

    bool add(Section section, const wire::Name& owner, const zone::StoredRecord& record, std::uint32_t ttl_s) {
        if (builder_.add_record(section, owner, record.type, ttl_s, record.parts())) return true;
        if (section != Section::additional) truncate();
        return false;
    }

    void negative(std::uint16_t code, const zone::Zone& zone) {
        finish_rcode(code);
        add(Section::authority, zone.apex, zone.soa, std::min(zone.soa.ttl_s, zone.negative_ttl_s));
    }

    // Below a delegation point (NS records under an apex) we are not authoritative: refer.
    bool answer_referral(const wire::Name& lowered, const zone::Zone& zone) {
        const auto depth = lowered.label_count() - zone.apex.label_count();
        for (std::size_t skip = depth; skip-- > 0;) {
            const auto cut_name = lowered.parent(skip);
            const auto* cut = zones_.find_node(cut_name);
            if (cut == nullptr || !cut->is_delegation) continue;
            for (const auto& record : cut->records) {
                if (record.type == rr_type::ns && !add(Section::authority, cut->owner, record, record.ttl_s)) break;
            }
            add_glue(*cut);
            return true;
        }
        return false;
    }

    void add_glue(const zone::Node& node) {
        for (const auto& record : node.records) {
            if (record.type != rr_type::ns) continue;
            const auto* target = zones_.find_node(record.first_name.lowered());
            if (target == nullptr) continue;
            for (const auto& glue : target->records) {
                if ((glue.type == rr_type::a || glue.type == rr_type::aaaa) &&
                    !add(Section::additional, target->owner, glue, glue.ttl_s)) {
                    return;
                }
            }
        }
    }

    void answer_node(const zone::Node& node, const wire::Name& owner, int hops) {
        if (query_.qtype != rr_type::cname && query_.qtype != rr_type::any) {
            for (const auto& record : node.records) {
                if (record.type == rr_type::cname) return follow_cname(record, owner, hops);
            }
        }
        if (query_.qtype == rr_type::any) return answer_any(node, owner);
        const bool address_query = query_.qtype == rr_type::a || query_.qtype == rr_type::aaaa;
        std::size_t added = 0;
        if (node.gslb_domain >= 0 && address_query) {
            const auto outcome = answer_gslb(node, owner);
            if (outcome < 0) return;
            added += static_cast<std::size_t>(outcome);
        }
        for (const auto& record : node.records) {
            if (record.type != query_.qtype) continue;
            if (!add(Section::answer, owner, record, record.ttl_s)) return;
            ++added;
        }
        if (added == 0) {
            if (hops == 0) negative(rcode::noerror, zones_.zone(node.zone_index));
            return;
        }
        if (query_.qtype == rr_type::ns) add_glue(node);
    }

    // The client's state (latency, persistence) lives on the ring member owning its prefix: when
    // that is another server, the whole query goes there.
    bool forward_to_owner() {
        const auto* ring = serving_.ring.get();
        if (forwarder_ == nullptr || ring == nullptr || ring->size() < 2) return false;
        const auto now_ms = inputs_.now_ms;
        const auto owner = ring->owner(gslb::client_prefix_key(client_.address), [&](std::size_t member) {
            return forwarder_->usable(*ring, member, now_ms);
        });
        if (owner == ring->self()) return false;
        info_.forward_to = static_cast<int>(owner);
        info_.forward_ring = ring;
        return true;
    }

    // Returns the number of addresses added, or -1 when the response is finished (SERVFAIL, TC,
    // forwarded to the owner of the client's state).
    int answer_gslb(const zone::Node& node, const wire::Name& owner) {
        if (forward_to_owner()) return -1;
        const auto index = static_cast<std::size_t>(node.gslb_domain);
        const auto& domain = serving_.domains->domain(index);
        const auto family = query_.qtype == rr_type::a ? net::IpAddress::Family::v4 : net::IpAddress::Family::v6;
        const auto decision = rankings_.decide(domain, index, family, client_, inputs_, random_, epoch_);
        info_.gslb_domain = node.gslb_domain;
        info_.scope_prefix_length = decision.scope_prefix_length;
        builder_.set_client_subnet_scope(decision.scope_prefix_length);
        if (decision.outcome == gslb::Decision::Outcome::servfail) {
            builder_.rollback(after_question_);
            finish_rcode(rcode::servfail);
            return -1;
        }
        if (decision.count > 0) info_.first_answer = decision.addresses[0];
        for (std::size_t i = 0; i < decision.count; ++i) {
            const auto& address = *decision.addresses[i];
            const wire::RdataParts rdata{{address.bytes().data(), address.size_bytes()}};
            if (!builder_.add_record(Section::answer, owner, query_.qtype, domain.policy.ttl_s, rdata)) {
                truncate();
                return -1;
            }
        }
        return static_cast<int>(decision.count);
    }

    // RFC 8482: one RRset is enough; prefer addresses (a GSLB decision), else the first RRset.
    void answer_any(const zone::Node& node, const wire::Name& owner) {
        if (node.gslb_domain >= 0) {
            answer_gslb(node, owner);
            return;
        }
        if (node.records.empty()) return negative(rcode::noerror, zones_.zone(node.zone_index));
        const auto type = node.records.front().type;
        for (const auto& record : node.records) {
            if (record.type == type && !add(Section::answer, owner, record, record.ttl_s)) return;
        }
    }

    void follow_cname(const zone::StoredRecord& cname, const wire::Name& owner, int hops) {
        if (!add(Section::answer, owner, cname, cname.ttl_s)) return;
        if (hops >= max_cname_hops) return;
        const auto target = cname.first_name.lowered();
        std::size_t zone_index = 0;
        if (zones_.find_zone(target, zone_index) == nullptr) return;  // the resolver follows it
        const auto* next = zones_.find_node(target);
        if (next == nullptr) return finish_rcode(rcode::nxdomain);
        answer_node(*next, cname.first_name, hops + 1);
    }

    const ServingState& serving_;
    const zone::ZoneSet& zones_;
    const gslb::EngineInputs& inputs_;
    gslb::RandomState& random_;
    gslb::RankingCache& rankings_;
    std::uint64_t epoch_;
    wire::ResponseBuilder& builder_;
    const wire::Query& query_;
    const gslb::Client& client_;
    QueryInfo& info_;
    const cluster::Forwarder* forwarder_;
    wire::ResponseBuilder::Mark after_question_{};
};

gslb::Client client_of(const wire::Query& query, const net::IpAddress& source) {
    const auto& subnet = query.edns.client_subnet;
    if (!subnet.present || subnet.source_prefix_length == 0) {
        return {source, source.is_v4() ? 32u : 128u, false};
    }
    if (subnet.family == 1) {
        return {net::IpAddress::v4({subnet.address[0], subnet.address[1], subnet.address[2], subnet.address[3]}),
                subnet.source_prefix_length, true};
    }
    return {net::IpAddress::v6(subnet.address), subnet.source_prefix_length, true};
}

std::size_t udp_limit(const wire::Query& query) {
    if (!query.edns.present) return wire::min_udp_size_bytes;
    return std::clamp<std::size_t>(query.edns.udp_size_bytes, wire::min_udp_size_bytes, our_udp_size_bytes);
}

}  // namespace

QueryHandler::QueryHandler(SharedState& shared, std::uint64_t random_seed)
    : shared_(shared), serving_(shared.serving), observations_(shared.observations.snapshot()),
      random_(gslb::RandomState::from_seed(random_seed)), rankings_(4096, random_seed) {}

std::uint64_t fresh_handler_seed(std::size_t worker_index) {
    std::random_device device;
    const auto entropy = (std::uint64_t{device()} << 32) ^ device();
    return entropy ^ (0x9E3779B97F4A7C15ULL * (worker_index + 1));
}

std::size_t QueryHandler::handle(std::span<const std::uint8_t> query_bytes, const net::IpAddress& source,
                                 Transport transport, std::span<std::uint8_t> out, std::int64_t now_ms,
                                 QueryInfo& info, const cluster::Forwarder* forwarder) {
    static_cast<QueryOutcome&>(info) = QueryOutcome{};
    auto& query = info.query;
    const auto status = wire::parse_query(query_bytes, query);
    if (status == wire::QueryStatus::drop) return 0;
    info.parsed = status == wire::QueryStatus::ok;
    const std::size_t limit = transport == Transport::tcp ? response_buffer_bytes : udp_limit(query);
    wire::ResponseBuilder builder(out, limit);
    builder.start(query);
    const bool edns_ok = query.edns.present && status != wire::QueryStatus::formerr;
    if (edns_ok) {
        wire::Edns response_edns;
        response_edns.present = true;
        response_edns.udp_size_bytes = our_udp_size_bytes;
        response_edns.dnssec_ok = query.edns.dnssec_ok;
        if (status == wire::QueryStatus::ok) response_edns.client_subnet = query.edns.client_subnet;
        builder.reserve_opt(response_edns);
    }
    switch (status) {
        case wire::QueryStatus::formerr: info.rcode = wire::rcode::formerr; break;
        case wire::QueryStatus::notimp: info.rcode = wire::rcode::notimp; break;
        case wire::QueryStatus::badvers: info.rcode = wire::rcode::badvers; break;
        default: break;
    }
    if (status != wire::QueryStatus::ok) {
        builder.set_rcode(info.rcode);
        return builder.finish();
    }
    const auto& serving = serving_.current();
    const auto& observations = observations_.current();
    if (&serving != seen_serving_ || &observations != seen_observations_) {
        seen_serving_ = &serving;
        seen_observations_ = &observations;
        ++epoch_;
    }
    const gslb::EngineInputs inputs{serving.config.get(), &observations, &shared_.latency,
                                    &shared_.persistence, &shared_.measurements, now_ms, serving.geo.get(),
                                    serving.latency_slots};
    const auto client = client_of(query, source);
    Answerer(serving, inputs, random_, rankings_, epoch_, builder, query, client, info, forwarder).answer();
    if (info.forward_to >= 0) return 0;
    builder.set_rcode(info.rcode);
    return builder.finish();
}

}  // namespace udn::dns::server
