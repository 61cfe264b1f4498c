// The GSLB decision: which of a name's candidate servers to hand to this client. Health is a
// hard filter (down servers never while a healthy one exists; backups only when every primary
// is down; the all-down policy otherwise); static client mappings override scoring;
// persistence keeps a client on its server; the rest is scored by the policy's weights over
// load, latency (probe-to-server + probe-to-client, the best over probes), loss and cost, and
// near-equal scores are split by the servers' weights. Decisions can be explained in full.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/net/ip_address.hpp"
#include "dns/gslb/candidates.hpp"
#include "dns/gslb/latency_table.hpp"
#include "dns/gslb/measurement_queue.hpp"
#include "dns/gslb/observations.hpp"
#include "dns/gslb/persistence_table.hpp"

namespace udn::dns::geo {
class Locator;
}  // namespace udn::dns::geo

namespace udn::dns::gslb {

inline constexpr std::size_t max_answers = 16;

struct Client {
    net::IpAddress address;         // the ECS subnet's address, or the resolver's
    unsigned prefix_length = 32;    // ECS source prefix, or the full address length
    bool from_client_subnet = false;
};

// The half of a decision that depends only on its inputs (configuration, probe observations,
// the client bucket's latency, the time) and not on chance or persistence: which candidates
// are eligible, best score first, and how many of the best are near-equal (split by weight).
// A worker may reuse it for every client of the same bucket until valid_until_ms or until an
// input changes (RankingCache); the weighted pick and persistence stay per query.
static_assert(max_candidates <= 64, "Ranking::eligible has one bit per candidate");
struct Ranking {
    bool servfail = false;                       // every candidate down and the policy says so
    std::uint8_t pool = 0;                       // eligible candidates, in `order`
    std::uint8_t ties = 0;                       // order[0..ties) are within the near-equal margin of the best
    std::uint64_t eligible = 0;                  // bit i: candidate i is eligible
    std::array<std::uint8_t, max_candidates> order{};  // candidate indexes, best score first
    // Nonzero when an input is finer than the client bucket (a GeoIP network smaller than a /24
    // or /48): the ECS scope of answers from this ranking (valid_until_ms then forbids reuse).
    std::uint8_t scope_prefix_length = 0;
    std::int64_t valid_until_ms = std::numeric_limits<std::int64_t>::max();  // first moment an input used here goes stale
};

struct Decision {
    enum class Outcome : std::uint8_t { answer, servfail };
    Outcome outcome = Outcome::answer;
    // Only the first `count` are set: value-initialising all 16 was a tenth of a pick.
    std::array<const net::IpAddress*, max_answers> addresses;
    std::size_t count = 0;
    std::uint8_t scope_prefix_length = 0;  // ECS scope of this answer
};

struct CandidateExplanation {
    std::string label;
    std::string address;
    std::string health;  // up, down, unknown
    double load = -1;    // -1: unknown
    double loss = -1;
    std::string loss_via;  // where the loss came from (Explanation::to_text's legend)
    double latency_ms = -1;
    std::string latency_via;
    double cost = 0;
    std::uint32_t weight = 0;
    bool backup = false;
    bool eligible = false;
    double score = 0;
    bool chosen = false;
};

struct Explanation {
    std::string name;
    std::string client;
    std::vector<CandidateExplanation> candidates;
    std::vector<std::string> notes;
    std::string to_text() const;
};

// Everything a decision reads besides the domain itself; owned by the server, shared by workers.
struct EngineInputs {
    const config::Config* config = nullptr;
    const ObservationView* observations = nullptr;
    const LatencyTable* latency = nullptr;
    PersistenceTable* persistence = nullptr;  // null: persistence off
    MeasurementQueue* measurements = nullptr; // null: nothing asks probes to measure
    std::int64_t now_ms = 0;
    const geo::Locator* geo = nullptr;        // null: no GeoIP fallback
    // The latency table's slot of each POP, by configuration position (PopSlots; empty: slot =
    // position, as in tests that build a table per configuration).
    std::span<const std::uint8_t> latency_slots;
};

// Per-worker random state (xorshift), so weighted choices need no shared lock.
struct RandomState {
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    // xorshift's first outputs from nearby seeds (a clock, a worker index) are alike, so two
    // servers started in the same second drew the same weighted picks; the seed is mixed first
    // (splitmix64's finaliser) and never leaves the state 0, where xorshift would stay.
    static RandomState from_seed(std::uint64_t seed) {
        seed += 0x9E3779B97F4A7C15ULL;
        seed = (seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9ULL;
        seed = (seed ^ (seed >> 27)) * 0x94D049BB133111EBULL;
        seed ^= seed >> 31;
        return RandomState{seed != 0 ? seed : 0x9E3779B97F4A7C15ULL};
    }
    std::uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

// Loss along probe -> server and probe -> client: 1 - (1 - server)(1 - client); an unknown
// (negative) part counts as no loss.
double path_loss(double server_loss, double client_loss);

Decision decide(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client, const EngineInputs& inputs, RandomState& random,
                Explanation* explanation = nullptr);

// decide() in its two halves. rank() asks the probes to measure the client when its latency is
// unknown or stale (and then keeps the ranking valid for at most remeasure_interval_ms, so that
// a reused ranking asks again).
inline constexpr std::int64_t remeasure_interval_ms = 1000;
Ranking rank(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client,
             const EngineInputs& inputs);
Decision pick(const CompiledDomain& domain, net::IpAddress::Family family, const Client& client, const Ranking& ranking, const EngineInputs& inputs, RandomState& random,
              Explanation* explanation = nullptr);

}  // namespace udn::dns::gslb
