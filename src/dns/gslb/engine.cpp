#include "dns/gslb/engine.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "dns/geo/locator.hpp"

namespace udn::dns::gslb {
namespace {

constexpr std::size_t max_pops = 256;
constexpr double near_equal_score = 0.05;     // scores this close count as a tie for weights
constexpr double unknown_penalty = 0.5;       // health/load/latency nobody measured (fresh)
constexpr double unknown = -1;

struct CandidateState {
    const net::IpAddress* address = nullptr;
    bool down = false;
    bool health_known = false;
    double load = unknown;
    double loss = unknown;          // what the score uses: the path's, else the probes' mean
    double server_loss = unknown;   // via loss_pop: probe to server
    double client_loss = unknown;   // via loss_pop: probe to client (unknown: not measured)
    bool server_loss_estimated = false;  // from a version-1 report's timeout, not a loss window
    int loss_pop = -1;              // the probe of the latency rule; -1: no client path known
    int loss_probes = 0;            // fresh probes in the mean (no client path)
    double latency_ms = unknown;
    int latency_pop = -1;
    double score = 0;
    bool eligible = false;
};

struct ClientLatency {
    std::array<std::uint32_t, max_pops> latency_ms{};
    std::array<std::uint32_t, max_pops> measured_at_s{};
    std::array<std::uint16_t, max_pops> loss_permille{};
    std::array<bool, max_pops> fresh{};
    bool any_fresh = false;
    bool any_stale = false;
};

const net::IpAddress* address_for(const Candidate& candidate, net::IpAddress::Family family) {
    for (const auto& address : candidate.addresses) {
        if (address.family() == family) return &address;
    }
    return nullptr;
}

// Lowers `valid_until_ms` to the moment an input that is fresh now turns stale.
void fresh_until(std::int64_t& valid_until_ms, std::int64_t stale_from_ms) {
    valid_until_ms = std::min(valid_until_ms, stale_from_ms);
}

ClientLatency client_latency(const Client& client, const EngineInputs& inputs, std::int64_t& valid_until_ms) {
    ClientLatency out;
    if (inputs.latency == nullptr) return out;
    const auto key = client_prefix_key(client.address);
    auto slots = inputs.latency_slots;
    if (slots.size() > max_pops) slots = slots.first(max_pops);
    if (slots.empty() && inputs.latency->pop_count() > max_pops) return out;  // not a table of this build
    if (!inputs.latency->lookup(key, slots, out.latency_ms.data(), out.measured_at_s.data(), out.loss_permille.data())) {
        return out;
    }
    const auto now_s = inputs.now_ms / 1000;
    const auto limit_s = static_cast<std::int64_t>(inputs.config->probe.latency_staleness_s);
    const auto pops = slots.empty() ? inputs.latency->pop_count() : slots.size();
    for (std::size_t p = 0; p < pops; ++p) {
        if (out.latency_ms[p] == UINT32_MAX) continue;
        out.fresh[p] = static_cast<std::int64_t>(out.measured_at_s[p]) + limit_s >= now_s;
        if (out.fresh[p]) fresh_until(valid_until_ms, (static_cast<std::int64_t>(out.measured_at_s[p]) + limit_s + 1) * 1000);
        out.any_fresh |= out.fresh[p];
        out.any_stale |= !out.fresh[p];
    }
    return out;
}

// Health, load and loss from fresh probe samples only; down when most fresh reporters say so.
// The loss here is the mean probe-to-server loss, used only when no client path is known
// (assess_latency replaces it with the path's).
void assess_health(const Candidate& candidate, const EngineInputs& inputs, CandidateState& state,
                   std::int64_t& valid_until_ms) {
    const auto* observation = inputs.observations ? inputs.observations->find(candidate.key) : nullptr;
    if (observation == nullptr) return;
    const auto oldest_ms = inputs.now_ms - static_cast<std::int64_t>(inputs.config->probe.staleness_ms);
    int up = 0;
    int down = 0;
    double loss_sum = 0;
    for (const auto& sample : observation->samples) {
        if (sample.measured_at_ms < oldest_ms) continue;
        fresh_until(valid_until_ms, sample.measured_at_ms + static_cast<std::int64_t>(inputs.config->probe.staleness_ms) + 1);
        (sample.up ? up : down) += 1;
        loss_sum += sample.loss;
        state.server_loss_estimated |= sample.loss_checks == 0;
    }
    if (up + down > 0) {
        state.health_known = true;
        state.down = down > up;
        state.loss = loss_sum / (up + down);
        state.loss_probes = up + down;
    }
    if (observation->has_load && observation->load_measured_at_ms >= oldest_ms) {
        state.load = observation->load;
        fresh_until(valid_until_ms,
                    observation->load_measured_at_ms + static_cast<std::int64_t>(inputs.config->probe.staleness_ms) + 1);
    }
}

// The seed's latency rule: via each POP whose probes measured both, probe-to-server plus
// probe-to-client; the best over POPs. A cache in the probe's own POP is 0 ms from it (and,
// unless that POP's probes reported it, 0 loss). The loss is that same POP's path:
// 1 - (1 - probe-to-server loss) * (1 - probe-to-client loss). The client side is measured per
// POP; where a POP has several probe servers, the server side is their mean (they sit in one
// place: what differs between them is their own noise).
void assess_latency(const Candidate& candidate, const EngineInputs& inputs, const ClientLatency& client,
                    CandidateState& state, std::int64_t& valid_until_ms) {
    if (!client.any_fresh) return;
    const auto* observation = inputs.observations ? inputs.observations->find(candidate.key) : nullptr;
    const auto oldest_ms = inputs.now_ms - static_cast<std::int64_t>(inputs.config->probe.staleness_ms);
    const auto pops = std::min(inputs.config->pops.size(), max_pops);
    for (std::size_t p = 0; p < pops; ++p) {
        if (!client.fresh[p]) continue;
        double to_server = candidate.pop == inputs.config->pops[p].name ? 0 : unknown;
        double server_loss = 0;
        bool server_loss_estimated = false;
        if (observation != nullptr) {
            int probes = 0;
            double rtt_sum_ms = 0;
            double loss_sum = 0;
            for (const auto& sample : observation->samples) {
                if (sample.pop == inputs.config->pops[p].name && sample.measured_at_ms >= oldest_ms) {
                    ++probes;
                    rtt_sum_ms += sample.rtt_ms;
                    loss_sum += sample.loss;
                    server_loss_estimated |= sample.loss_checks == 0;
                    fresh_until(valid_until_ms, sample.measured_at_ms +
                                                    static_cast<std::int64_t>(inputs.config->probe.staleness_ms) + 1);
                }
            }
            if (probes > 0) {
                to_server = rtt_sum_ms / probes;
                server_loss = loss_sum / probes;
            }
        }
        if (to_server < 0) continue;
        const double total = to_server + client.latency_ms[p];
        if (state.latency_ms < 0 || total < state.latency_ms) {
            state.latency_ms = total;
            state.latency_pop = static_cast<int>(p);
            state.server_loss = server_loss;
            state.server_loss_estimated = server_loss_estimated;
            state.client_loss = client.loss_permille[p] <= 1000 ? client.loss_permille[p] / 1000.0 : unknown;
        }
    }
    if (state.latency_pop >= 0) {
        state.loss_pop = state.latency_pop;
        state.loss = path_loss(state.server_loss, state.client_loss);
    }
}

std::string loss_source(const CandidateState& state, const config::Config& config) {
    const char* estimated = state.server_loss_estimated ? "~" : " ";
    if (state.loss_pop >= 0) {
        return fmt::format("{}: srv{}{:.2f} cli {}", config.pops[static_cast<std::size_t>(state.loss_pop)].name, estimated,
                           state.server_loss, state.client_loss < 0 ? std::string("-") : fmt::format("{:.2f}", state.client_loss));
    }
    if (state.loss >= 0) return fmt::format("srv{}mean of {} probes", estimated, state.loss_probes);
    return "-";
}

const config::CoverageZone* coverage_for(const config::Config& config, const net::IpAddress& address) {
    const config::CoverageZone* best = nullptr;
    for (const auto& zone : config.coverage) {
        if (zone.client.contains(address) &&
            (best == nullptr || zone.client.prefix_length() > best->client.prefix_length())) {
            best = &zone;
        }
    }
    return best;
}

// The input-dependent half: assesses every candidate, chooses the pool, scores and sorts it.
class Ranker {
public:
    Ranker(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client,
           const EngineInputs& inputs, Explanation* explanation)
        : domain_(domain), family_(family), client_(client), inputs_(inputs), explanation_(explanation),
          count_(domain.candidates.size()) {}

    Ranking run() {
        Ranking ranking;
        assess_all(ranking);
        if (!choose_pool()) {
            note([] { return "every candidate is down and the policy says servfail"; });
            ranking.servfail = true;
            return ranking;
        }
        score_pool();
        order_pool(ranking);
        return ranking;
    }

    // The explanation rows, once `decision` was picked from this ranking.
    void explain(const Decision& decision) const {
        if (explanation_ == nullptr) return;
        explanation_->name = domain_.name;
        explanation_->client = fmt::format("{}/{}{}", client_.address.to_string(), client_.prefix_length,
                                           client_.from_client_subnet ? " (ECS)" : "");
        for (std::size_t i = 0; i < count_; ++i) {
            const auto& candidate = domain_.candidates[i];
            const auto& state = states_[i];
            CandidateExplanation row;
            row.label = candidate.label;
            row.address = state.address ? state.address->to_string() : "(no address of this family)";
            row.health = !state.health_known ? "unknown" : state.down ? "down" : "up";
            row.load = state.load;
            row.loss = state.loss;
            row.loss_via = loss_source(state, *inputs_.config);
            row.latency_ms = state.latency_ms;
            if (state.latency_pop >= 0) row.latency_via = inputs_.config->pops[static_cast<std::size_t>(state.latency_pop)].name;
            row.cost = candidate.cost;
            row.weight = candidate.weight;
            row.backup = candidate.backup;
            row.eligible = state.eligible;
            row.score = state.score;
            row.chosen = std::find(decision.addresses.begin(), decision.addresses.begin() + static_cast<long>(decision.count),
                                   state.address) != decision.addresses.begin() + static_cast<long>(decision.count) &&
                         state.address != nullptr;
            explanation_->candidates.push_back(std::move(row));
        }
    }

private:
    // Notes are for explanations only: `text` (a callable) is not even formatted otherwise.
    template <class Text>
    void note(Text&& text) {
        if (explanation_ != nullptr) explanation_->notes.emplace_back(text());
    }

    void assess_all(Ranking& ranking) {
        auto& valid_until_ms = ranking.valid_until_ms;
        const auto latency = client_latency(client_, inputs_, valid_until_ms);
        if ((!latency.any_fresh || latency.any_stale) && inputs_.measurements != nullptr) {
            inputs_.measurements->push(client_.address);
            fresh_until(valid_until_ms, inputs_.now_ms + remeasure_interval_ms);
        }
        any_latency_ = false;
        for (std::size_t i = 0; i < count_; ++i) {
            auto& state = states_[i];
            state = CandidateState{};
            state.address = address_for(domain_.candidates[i], family_);
            assess_health(domain_.candidates[i], inputs_, state, valid_until_ms);
            assess_latency(domain_.candidates[i], inputs_, latency, state, valid_until_ms);
            any_latency_ |= state.latency_ms >= 0;
        }
        if (!any_latency_) {
            // The operator's explicit coverage zones first, then GeoIP, then no preference.
            coverage_ = coverage_for(*inputs_.config, client_.address);
            if (coverage_ == nullptr && inputs_.geo != nullptr) locate(ranking);
            note([&] {
                const auto client = client_.address.to_string();
                if (coverage_ != nullptr) {
                    return fmt::format("latency to {} unknown or stale: coverage zone {} says POP {}; measurement "
                                       "requested", client, coverage_->client.to_string(), coverage_->pop);
                }
                if (inputs_.geo != nullptr) {
                    return fmt::format("latency to {} unknown or stale and no coverage zone matches: {}; measurement "
                                       "requested", client, geo_.describe());
                }
                return fmt::format("latency to {} unknown or stale and no coverage zone matches; measurement requested",
                                   client);
            });
        }
    }

    void locate(Ranking& ranking) {
        geo_ = inputs_.geo->locate(client_.address);
        const unsigned bucket = client_.address.is_v4() ? latency_prefix_v4 : latency_prefix_v6;
        if (geo_.location.prefix_length > bucket) {
            // Other clients of the bucket may be elsewhere: answer for the database's network only.
            ranking.scope_prefix_length = static_cast<std::uint8_t>(geo_.location.prefix_length);
            fresh_until(ranking.valid_until_ms, inputs_.now_ms);
        }
    }

    bool in_mapping(std::size_t index, const StaticMappingSet& mapping) const {
        return std::find(mapping.candidates.begin(), mapping.candidates.end(), index) != mapping.candidates.end();
    }

    // Marks the candidates the answer may come from; false when the policy says SERVFAIL.
    bool choose_pool() {
        const StaticMappingSet* mapping = nullptr;
        for (const auto& candidate_mapping : domain_.mappings) {
            if (candidate_mapping.client.contains(client_.address) &&
                (mapping == nullptr || candidate_mapping.client.prefix_length() > mapping->client.prefix_length())) {
                mapping = &candidate_mapping;
            }
        }
        const auto mark = [&](auto&& predicate) {
            std::size_t marked = 0;
            for (std::size_t i = 0; i < count_; ++i) {
                states_[i].eligible = states_[i].address != nullptr && predicate(i);
                marked += states_[i].eligible;
            }
            return marked;
        };
        const auto healthy_primary = [&](std::size_t i) { return !domain_.candidates[i].backup && !states_[i].down; };
        if (mapping != nullptr && mark([&](std::size_t i) { return healthy_primary(i) && in_mapping(i, *mapping); }) > 0) {
            note([&] { return fmt::format("static mapping {} applies", mapping->client.to_string()); });
            return true;
        }
        if (mapping != nullptr) {
            note([&] { return fmt::format("static mapping {} matched but its servers are down", mapping->client.to_string()); });
        }
        if (mark(healthy_primary) > 0) return true;
        if (mark([&](std::size_t i) { return domain_.candidates[i].backup && !states_[i].down; }) > 0) {
            note([] { return "every primary is down: handing out backups"; });
            return true;
        }
        switch (domain_.policy.when_all_down) {
            case config::AllDownPolicy::servfail: return false;
            case config::AllDownPolicy::return_backups:
                if (mark([&](std::size_t i) { return domain_.candidates[i].backup; }) > 0) {
                    note([] { return "every candidate is down: policy return_backups"; });
                    return true;
                }
                break;
            case config::AllDownPolicy::return_all: break;
        }
        note([] { return "every candidate is down: policy returns all"; });
        mark([](std::size_t) { return true; });
        return true;
    }

    void score_pool() {
        const auto& policy = domain_.policy;
        double max_latency = 1;
        double max_cost = 0;
        for (std::size_t i = 0; i < count_; ++i) {
            if (!states_[i].eligible) continue;
            max_latency = std::max(max_latency, states_[i].latency_ms);
            max_cost = std::max(max_cost, domain_.candidates[i].cost);
        }
        for (std::size_t i = 0; i < count_; ++i) {
            auto& state = states_[i];
            if (!state.eligible) continue;
            double latency_term = unknown_penalty;
            if (state.latency_ms >= 0) {
                latency_term = state.latency_ms / max_latency;
            } else if (any_latency_) {
                latency_term = 1;
            } else if (coverage_ != nullptr && !domain_.candidates[i].pop.empty()) {
                latency_term = domain_.candidates[i].pop == coverage_->pop ? 0 : 1;
            } else if (geo_.entry != nullptr && !domain_.candidates[i].pop.empty()) {
                latency_term = geo_.serves(domain_.candidates[i].pop) ? 0 : 1;
            }
            state.score = policy.weight_health * (state.health_known ? 0 : unknown_penalty) +
                          policy.weight_load * (state.load >= 0 ? state.load : unknown_penalty) +
                          policy.weight_latency * latency_term +
                          policy.weight_loss * (state.loss >= 0 ? state.loss : 0) +
                          policy.weight_cost * (max_cost > 0 ? domain_.candidates[i].cost / max_cost : 0);
        }
    }

    // Best score first; the near-equal best (split by weight at pick time) form a prefix.
    void order_pool(Ranking& ranking) const {
        std::size_t pool = 0;
        for (std::size_t i = 0; i < count_; ++i) {
            if (!states_[i].eligible) continue;
            ranking.order[pool++] = static_cast<std::uint8_t>(i);
            ranking.eligible |= std::uint64_t{1} << i;
        }
        std::stable_sort(ranking.order.begin(), ranking.order.begin() + static_cast<long>(pool),
                         [&](auto a, auto b) { return states_[a].score < states_[b].score; });
        ranking.pool = static_cast<std::uint8_t>(pool);
        std::size_t ties = 0;
        while (ties < pool && states_[ranking.order[ties]].score <= states_[ranking.order[0]].score + near_equal_score) {
            ++ties;
        }
        ranking.ties = static_cast<std::uint8_t>(ties);
    }

    const CompiledDomain& domain_;
    net::IpAddress::Family family_;
    const Client& client_;
    const EngineInputs& inputs_;
    Explanation* explanation_;
    std::size_t count_;
    std::array<CandidateState, max_candidates> states_{};
    bool any_latency_ = false;
    const config::CoverageZone* coverage_ = nullptr;
    geo::GeoMatch geo_;
};

// The per-query half: persistence, then the near-equal best split by weight, then score order.
class Picker {
public:
    Picker(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client,
           const Ranking& ranking, const EngineInputs& inputs, RandomState& random, Explanation* explanation)
        : domain_(domain), family_(family), client_(client), ranking_(ranking),
          inputs_(inputs), random_(random), explanation_(explanation) {}

    Decision run() {
        Decision decision;
        if (client_.from_client_subnet) {
            const unsigned bucket = std::max<unsigned>(client_.address.is_v4() ? latency_prefix_v4 : latency_prefix_v6,
                                                       ranking_.scope_prefix_length);
            decision.scope_prefix_length = static_cast<std::uint8_t>(std::min(client_.prefix_length, bucket));
        }
        if (ranking_.servfail) {
            decision.outcome = Decision::Outcome::servfail;
            return decision;
        }
        if (ranking_.pool == 0) return decision;
        const auto& policy = domain_.policy;
        const std::size_t wanted = std::clamp<std::size_t>(policy.answers, 1, max_answers);
        const bool persistent = policy.persistence_s > 0 && inputs_.persistence != nullptr;
        // Only persistence needs the client's key here (~30 instructions a query otherwise).
        const auto client_key = persistent ? client_prefix_key(client_.address) : 0;
        if (persistent) {
            const auto kept = candidate_index(inputs_.persistence->lookup(domain_.identity, client_key, inputs_.now_ms));
            if (kept && (ranking_.eligible >> *kept & 1) != 0) {
                if (explanation_ != nullptr) {
                    explanation_->notes.push_back(fmt::format("persistence: client keeps {}", domain_.candidates[*kept].label));
                }
                take(decision, *kept);
            }
        }
        if (wanted == 1 && !persistent) {
            // The usual policy, one answer and no persistence: the general loop below would copy
            // the ties aside and then take exactly the one weighted_pick draws from them (or the
            // best, when no tie is left to draw from).
            const std::size_t k = policy.use_weights && ranking_.ties > 1
                                      ? weighted_pick(ranking_.order, ranking_.ties)
                                      : 0;
            take(decision, ranking_.order[k]);
            return decision;
        }
        std::array<std::uint8_t, max_candidates> ties{};
        std::size_t tie_count = 0;
        for (std::size_t k = 0; k < ranking_.ties; ++k) {
            if (!chosen(ranking_.order[k])) ties[tie_count++] = ranking_.order[k];
        }
        while (decision.count < wanted && tie_count > 0) {
            const std::size_t k = policy.use_weights ? weighted_pick(ties, tie_count) : 0;
            take(decision, ties[k]);
            std::copy(ties.begin() + static_cast<long>(k) + 1, ties.begin() + static_cast<long>(tie_count),
                      ties.begin() + static_cast<long>(k));
            --tie_count;
        }
        for (std::size_t k = 0; k < ranking_.pool && decision.count < wanted; ++k) {
            if (!chosen(ranking_.order[k])) take(decision, ranking_.order[k]);
        }
        if (persistent && first_taken_ >= 0) {
            const auto first = domain_.candidates[static_cast<std::size_t>(first_taken_)].identity;
            const auto kept = inputs_.persistence->lookup(domain_.identity, client_key, inputs_.now_ms);
            if (!kept || *kept != first) {
                inputs_.persistence->remember(domain_.identity, client_key, first,
                                              inputs_.now_ms + std::int64_t{policy.persistence_s} * 1000,
                                              inputs_.now_ms);
            }
        }
        return decision;
    }

private:
    bool chosen(std::size_t index) const { return (chosen_ >> index & 1) != 0; }

    // Where the remembered candidate is in this snapshot (a reload may have moved or removed it).
    std::optional<std::size_t> candidate_index(std::optional<std::uint64_t> identity) const {
        if (!identity) return std::nullopt;
        for (std::size_t i = 0; i < domain_.candidates.size(); ++i) {
            if (domain_.candidates[i].identity == *identity) return i;
        }
        return std::nullopt;
    }

    std::size_t weighted_pick(const std::array<std::uint8_t, max_candidates>& set, std::size_t size) {
        std::uint64_t total = 0;
        for (std::size_t k = 0; k < size; ++k) total += domain_.candidates[set[k]].weight;
        if (total == 0) return static_cast<std::size_t>(random_.next() % size);
        auto roll = random_.next() % total;
        for (std::size_t k = 0; k < size; ++k) {
            const auto weight = domain_.candidates[set[k]].weight;
            if (roll < weight) return k;
            roll -= weight;
        }
        return size - 1;
    }

    void take(Decision& decision, std::size_t index) {
        chosen_ |= std::uint64_t{1} << index;
        if (first_taken_ < 0) first_taken_ = static_cast<int>(index);
        if (decision.count < max_answers) decision.addresses[decision.count++] = address_for(domain_.candidates[index], family_);
    }

    const CompiledDomain& domain_;
    net::IpAddress::Family family_;
    const Client& client_;
    const Ranking& ranking_;
    const EngineInputs& inputs_;
    RandomState& random_;
    Explanation* explanation_;
    std::uint64_t chosen_ = 0;
    int first_taken_ = -1;
};

std::string number_or_dash(double value, const char* format) {
    return value < 0 ? std::string("-") : fmt::format(fmt::runtime(format), value);
}

}  // namespace

double path_loss(double server_loss, double client_loss) {
    const auto server = std::clamp(server_loss, 0.0, 1.0);
    const auto client = std::clamp(client_loss, 0.0, 1.0);
    return 1 - (1 - server) * (1 - client);
}

Decision decide(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client, const EngineInputs& inputs, RandomState& random, Explanation* explanation) {
    Ranker ranker(domain, family, client, inputs, explanation);
    const auto ranking = ranker.run();
    const auto decision = Picker(domain, family, client, ranking, inputs, random, explanation).run();
    ranker.explain(decision);
    return decision;
}

Ranking rank(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client,
             const EngineInputs& inputs) {
    return Ranker(domain, family, client, inputs, nullptr).run();
}

Decision pick(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client, const Ranking& ranking, const EngineInputs& inputs, RandomState& random,
              Explanation* explanation) {
    return Picker(domain, family, client, ranking, inputs, random, explanation).run();
}

std::string Explanation::to_text() const {
    std::string out = fmt::format("name {}  client {}\n", name, client);
    out += fmt::format("{:<28} {:<16} {:<8} {:>6} {:>6} {:<26} {:>10} {:<12} {:>6} {:>6} {:<6} {:>7}  {}\n",
                       "candidate", "address", "health", "load", "loss", "loss via", "latency", "via", "cost", "weight",
                       "backup", "score", "decision");
    for (const auto& row : candidates) {
        out += fmt::format("{:<28} {:<16} {:<8} {:>6} {:>6} {:<26} {:>10} {:<12} {:>6} {:>6} {:<6} {:>7}  {}\n",
                           row.label, row.address, row.health, number_or_dash(row.load, "{:.2f}"),
                           number_or_dash(row.loss, "{:.2f}"), row.loss_via.empty() ? "-" : row.loss_via,
                           number_or_dash(row.latency_ms, "{:.1f}ms"),
                           row.latency_via.empty() ? "-" : row.latency_via, row.cost, row.weight,
                           row.backup ? "yes" : "no", row.eligible ? fmt::format("{:.3f}", row.score) : "-",
                           row.chosen ? "CHOSEN" : row.eligible ? "eligible" : "excluded");
    }
    for (const auto& note : notes) out += "note: " + note + "\n";
    if (std::any_of(candidates.begin(), candidates.end(), [](const auto& row) { return row.loss_via.find(':') != std::string::npos; })) {
        out += "loss via <POP>: through that POP's probe (the one of the latency rule), 1 - (1 - srv)(1 - cli) of its "
               "probe-to-server (srv) and probe-to-client (cli) loss; ~ = estimated from a version-1 report\n";
    }
    return out;
}

}  // namespace udn::dns::gslb
