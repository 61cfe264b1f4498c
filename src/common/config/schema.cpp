// Every configuration key, declared once. Adding a key = a member in config.hpp + one line here.
#include "common/config/schema.hpp"

#include <algorithm>

#include "common/config/schema_fields.hpp"
#include "common/geo/place.hpp"

namespace udn::config::schema {
namespace {

constexpr long long max_u32 = 4294967295LL;
constexpr long long max_port = 65535;

// ---- element readers for arrays ----

bool name_element(const toml::node& node, Context& context, std::string_view path, std::string& out) {
    if (!read_string(node, context, path, out)) return false;
    const auto problem = check_entity_name(out);
    if (problem.empty()) return true;
    const auto split = problem.find('\n');
    context.error(node, std::string{path} + " = \"" + out + "\": " + problem.substr(0, split), problem.substr(split + 1));
    return false;
}

bool dns_name_element(const toml::node& node, Context& context, std::string_view path, std::string& out) {
    if (!read_string(node, context, path, out)) return false;
    const auto problem = check_dns_name(out);
    if (problem.empty()) return true;
    const auto split = problem.find('\n');
    context.error(node, std::string{path} + " = \"" + out + "\": " + problem.substr(0, split), problem.substr(split + 1));
    return false;
}

bool tls_name_element(const toml::node& node, Context& context, std::string_view path, std::string& out) {
    if (!read_string(node, context, path, out)) return false;
    const bool wildcard = out.rfind("*.", 0) == 0;
    const auto problem = check_dns_name(wildcard ? out.substr(2) : out);
    if (problem.empty()) return true;
    const auto split = problem.find('\n');
    context.error(node, std::string{path} + " = \"" + out + "\": " + problem.substr(0, split),
                  "write a DNS name such as \"img.example.com\" or a wildcard such as \"*.example.com\"");
    return false;
}

bool geo_place_element(const toml::node& node, Context& context, std::string_view path, std::string& out) {
    if (!read_string(node, context, path, out)) return false;
    const auto parsed = geo::parse_place(out);
    if (std::holds_alternative<geo::Place>(parsed)) return true;
    const auto& problem = std::get<std::string>(parsed);
    const auto split = problem.find('\n');
    context.error(node, std::string{path} + " = \"" + out + "\" " + problem.substr(0, split), problem.substr(split + 1));
    return false;
}

bool address_element(const toml::node& node, Context& context, std::string_view path, net::IpAddress& out) {
    std::string text;
    if (!read_string(node, context, path, text)) return false;
    if (auto address = net::IpAddress::parse(text)) {
        out = *address;
        return true;
    }
    context.error(node, std::string{path} + " = \"" + text + "\" is not an IP address",
                  "write an IPv4 address such as \"127.0.1.1\" or an IPv6 address such as \"::1\"");
    return false;
}

bool role_element(const toml::node& node, Context& context, std::string_view path, Role& out) {
    std::string text;
    if (!read_string(node, context, path, text)) return false;
    for (Role role : {Role::dns, Role::cache, Role::probe, Role::loadp, Role::configd, Role::logs, Role::view}) {
        if (to_string(role) == text) {
            out = role;
            return true;
        }
    }
    context.error(node, std::string{path} + " = \"" + text + "\" is not a role",
                  "use dns, cache, probe, loadp, configd, logs or view");
    return false;
}

template <class T>
Field<T> address_field(std::string_view key, net::IpAddress T::*member, std::string_view description) {
    Field<T> field{key, "IP address", "", Reload::restart, true, description};
    field.apply = [member](T& out, const toml::node& node, Context& context, std::string_view path) {
        address_element(node, context, path, out.*member);
    };
    field.default_text = [] { return std::string{}; };
    return field;
}

template <class T>
Field<T> cidr_field(std::string_view key, net::Cidr T::*member, std::string_view description) {
    Field<T> field{key, "CIDR prefix", "", Reload::live, true, description};
    field.apply = [member](T& out, const toml::node& node, Context& context, std::string_view path) {
        std::string text;
        if (!read_string(node, context, path, text)) return;
        if (auto cidr = net::Cidr::parse(text)) {
            out.*member = *cidr;
        } else {
            context.error(node, std::string{path} + " = \"" + text + "\" is not a CIDR prefix",
                          "write it as \"10.0.0.0/8\" or \"2001:db8::/32\"");
        }
    };
    field.default_text = [] { return std::string{}; };
    return field;
}

std::string optional_dns_name(const std::string& name) { return name.empty() ? std::string{} : check_dns_name(name); }
std::string optional_regex(const std::string& pattern) { return pattern.empty() ? std::string{} : check_regex(pattern); }
std::string optional_sha256(const std::string& hex) { return hex.empty() ? std::string{} : check_sha256_hex(hex); }
std::string optional_address(const std::string& text) {
    if (text.empty() || net::IpAddress::parse(text)) return {};
    return "not an IP address\nwrite an address such as \"192.0.2.1\"";
}
std::string record_type(const std::string& type) {
    static constexpr std::string_view types[] = {"A", "AAAA", "TXT", "CNAME", "MX", "NS"};
    if (std::find(std::begin(types), std::end(types), type) != std::end(types)) return {};
    return "is not a supported record type\nuse one of A, AAAA, TXT, CNAME, MX, NS (upper case)";
}

// ---- sections ----

const Section<Network>& network_section() {
    static const Section<Network> section{
        "The network itself: its own DNS zone, the CDN zone and the shared secret of probe traffic.",
        {
            string_field<Network>("name", &Network::name, Reload::restart, "A short name for logs and the UI.", true,
                                  check_entity_name),
            string_field<Network>("domain", &Network::domain, Reload::live,
                                  "The network's own zone; service names such as `log.<domain>` live in it.", true,
                                  check_dns_name, "DNS name"),
            string_field<Network>("cdn_zone", &Network::cdn_zone, Reload::live,
                                  "Zone of the static CDN names, e.g. `<customer>.<cdn_zone>`.", true, check_dns_name,
                                  "DNS name"),
            string_field<Network>("hostmaster", &Network::hostmaster, Reload::live,
                                  "SOA contact mailbox of every zone we serve.", true, check_mailbox, "mailbox"),
            string_field<Network>("report_key", &Network::report_key, Reload::live,
                                  "HMAC-SHA256 key (hex, >= 32 bytes) of probe reports and latency requests.", true,
                                  check_report_key, "hex string"),
            [] {
                Field<Network> field{"geoip_database", "path", "", Reload::live, false,
                                     "MaxMind .mmdb (GeoIP2/GeoLite2 Country or City): while latency to a client is "
                                     "unknown and no coverage zone matches, DNS prefers the POPs whose `geo` lists "
                                     "the client's place. Relative paths are resolved against the working directory; "
                                     "`udn check` opens it; a reload reopens it."};
                field.apply = [](Network& out, const toml::node& node, Context& context, std::string_view path) {
                    std::string value;
                    if (read_string(node, context, path, value)) {
                        out.geoip_database = value;
                        out.geoip_database_line = line_of(node);
                    }
                };
                field.default_text = [] { return std::string{}; };
                return field;
            }(),
        }};
    return section;
}

const Section<Ports>& ports_section() {
    static const Section<Ports> section{
        "Port of each role; every server has its own address, so numbers repeat across servers.",
        {
            integer_field<Ports>("dns", &Ports::dns, 1, max_port, "", Reload::restart, "Authoritative DNS, UDP and TCP."),
            integer_field<Ports>("http", &Ports::http, 1, max_port, "", Reload::restart, "Cache, plain HTTP."),
            integer_field<Ports>("https", &Ports::https, 1, max_port, "", Reload::restart, "Cache, HTTPS."),
            integer_field<Ports>("cache_backend", &Ports::cache_backend, 1, max_port, "", Reload::restart,
                                 "Disk tier when it runs as its own process."),
            integer_field<Ports>("reports", &Ports::reports, 1, max_port, "", Reload::restart,
                                 "UDP: probe reports into the dns and logs roles."),
            integer_field<Ports>("latency", &Ports::latency, 1, max_port, "", Reload::restart,
                                 "UDP: latency requests from DNS servers to each POP's probe."),
            integer_field<Ports>("loadp", &Ports::loadp, 1, max_port, "", Reload::restart, "UDP: the load agent."),
            integer_field<Ports>("configd", &Ports::configd, 1, max_port, "", Reload::restart,
                                 "TCP (TLS): configuration push."),
            integer_field<Ports>("dns_cluster", &Ports::dns_cluster, 1, max_port, "", Reload::restart,
                                 "UDP: GSLB queries a DNS server forwards to the server owning the client's prefix."),
            integer_field<Ports>("dns_admin", &Ports::dns_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics of the dns role."),
            integer_field<Ports>("cache_admin", &Ports::cache_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics/purge of the cache role."),
            integer_field<Ports>("cache_backend_admin", &Ports::cache_backend_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics/purge of the disk tier when it runs as its own process."),
            integer_field<Ports>("probe_admin", &Ports::probe_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics of the probe role."),
            integer_field<Ports>("loadp_admin", &Ports::loadp_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics of the load agent."),
            integer_field<Ports>("configd_admin", &Ports::configd_admin, 1, max_port, "", Reload::restart,
                                 "HTTP admin/metrics of the config daemon."),
            integer_field<Ports>("origin", &Ports::origin, 1, max_port, "", Reload::live,
                                 "Default port of customers' origins."),
        }};
    return section;
}

const Section<ProbeSettings>& probe_section() {
    static const Section<ProbeSettings> section{
        "How DNS treats probe data.",
        {
            integer_field<ProbeSettings>("staleness_ms", &ProbeSettings::staleness_ms, 100, 3600000, "ms", Reload::live,
                                         "Service reports older than this are ignored by DNS decisions."),
            integer_field<ProbeSettings>("latency_staleness_s", &ProbeSettings::latency_staleness_s, 1, 604800, "s",
                                         Reload::live, "Latency measurements older than this are re-measured."),
            integer_field<ProbeSettings>("report_max_age_ms", &ProbeSettings::report_max_age_ms, 100, 3600000, "ms",
                                         Reload::live, "Receivers drop reports older than this (replay window)."),
            integer_field<ProbeSettings>("latency_batch_max", &ProbeSettings::latency_batch_max, 1, 256, "", Reload::live,
                                         "Client addresses per latency request datagram."),
            integer_field<ProbeSettings>("latency_attempts", &ProbeSettings::latency_attempts, 1, 20, "", Reload::live,
                                         "Probes per client latency measurement, spaced by `udn probe "
                                         "--latency-spacing-ms` (25 ms); the unanswered share is the client's loss."),
        }};
    return section;
}

const Section<DnsSettings>& dns_section() {
    static const Section<DnsSettings> section{
        "How the DNS servers share client state (latency, persistence) by owner of each client prefix.",
        {
            bool_field<DnsSettings>("share_client_state", &DnsSettings::share_client_state, Reload::live,
                                    "Forward GSLB queries to the DNS server owning the client's /24 or /48, so that "
                                    "every server answers a client from the same measurements and persistence."),
            integer_field<DnsSettings>("forward_timeout_ms", &DnsSettings::forward_timeout_ms, 1, 5000, "ms",
                                       Reload::live,
                                       "How long a forwarded query waits for the owner before this server decides "
                                       "by itself."),
            integer_field<DnsSettings>("latency_spare_pops", &DnsSettings::latency_spare_pops, 0, 64, "",
                                       Reload::restart,
                                       "Room in the client-latency table for POPs added after `udn dns` started "
                                       "(each costs 7 bytes per client prefix); beyond it, added POPs are used "
                                       "for client latency only after a restart."),
            integer_field<DnsSettings>("latency_prefixes", &DnsSettings::latency_prefixes, 1024, 16777216, "",
                                       Reload::restart,
                                       "Client prefixes (/24, /48 or ECS subnet) whose latency from each POP a DNS "
                                       "server keeps: 8 bytes each plus 7 per POP slot, allocated at start. A "
                                       "server holds the prefixes it owns; when `udn_dns_latency_evictions` grows, "
                                       "raise it."),
            integer_field<DnsSettings>("persistence_entries", &DnsSettings::persistence_entries, 1024, 67108864, "",
                                       Reload::restart,
                                       "Persistence windows (client prefix and name) a DNS server keeps: 32 bytes "
                                       "each, allocated at start. When `udn_dns_persistence_evictions` grows, "
                                       "windows are cut short: raise it."),
            integer_field<DnsSettings>("client_state_save_s", &DnsSettings::client_state_save_s, 0, 86400, "s",
                                       Reload::live,
                                       "How often a DNS server saves its client state (persistence windows, client "
                                       "latency) to its state directory, which it also does at stop and reads at "
                                       "start; 0: at stop only. A crash loses what was learnt since the last save."),
        }};
    return section;
}

const Section<PushSettings>& push_section() {
    static const Section<PushSettings> section{
        "The configuration push tree: masters here, each server's children in `forwards_to`.",
        {
            array_field<PushSettings, std::string>("masters", &PushSettings::masters, "array of server names",
                                                   Reload::live, "Servers the admin tool pushes to first.", name_element),
            integer_field<PushSettings>("keep_versions", &PushSettings::keep_versions, 1, 1000, "", Reload::live,
                                        "Committed versions kept on each node for rollback."),
            integer_field<PushSettings>("prepare_timeout_ms", &PushSettings::prepare_timeout_ms, 100, 600000, "ms",
                                        Reload::live, "How long a push waits for PREPARE acknowledgements."),
        }};
    return section;
}

const Section<LogSettings>& logs_section() {
    static const Section<LogSettings> section{
        "Log spools that every role writes for the log pipeline.",
        {
            integer_field<LogSettings>("spool_max_bytes", &LogSettings::spool_max_bytes, 4096, max_u32, "bytes",
                                       Reload::live, "A spool file is closed when it reaches this size."),
            integer_field<LogSettings>("spool_max_age_s", &LogSettings::spool_max_age_s, 1, 86400, "s", Reload::live,
                                       "A spool file is closed when it is this old."),
        }};
    return section;
}

const Section<AdminKey>& admin_key_section() {
    static const Section<AdminKey> section{
        "Keys allowed to sign configuration pushes.",
        {
            string_field<AdminKey>("name", &AdminKey::name, Reload::live, "Who holds the key.", true, check_entity_name),
            string_field<AdminKey>("public_key", &AdminKey::public_key, Reload::live,
                                   "Base64 of the raw 32-byte Ed25519 public key.", true, check_admin_public_key,
                                   "base64 string"),
        }};
    return section;
}

const Section<Server>& server_section() {
    static const Section<Server> section{
        "A machine of the POP.",
        {
            string_field<Server>("name", &Server::name, Reload::restart, "Unique across the network.", true,
                                 check_entity_name),
            array_field<Server, net::IpAddress>("addresses", &Server::addresses, "array of IP addresses",
                                                Reload::restart, "Addresses its roles listen on and DNS hands out.",
                                                address_element, true),
            array_field<Server, Role>("roles", &Server::roles, "array of roles", Reload::restart,
                                      "dns, cache, probe, loadp, configd, logs, view.", role_element, true),
            array_field<Server, std::string>("forwards_to", &Server::forwards_to, "array of server names", Reload::live,
                                             "Push tree: servers this one forwards configuration pushes to.",
                                             name_element),
            enum_field<Server, CacheTiers>("cache_tiers", &Server::cache_tiers,
                                           {{"one-process", CacheTiers::one_process},
                                            {"two-process", CacheTiers::two_process}},
                                           Reload::restart,
                                           "Cache role: one process, or a memory front on ports.http and a disk back "
                                           "on ports.cache_backend."),
        }};
    return section;
}

const Section<Pop>& pop_section() {
    static const Section<Pop> section{
        "A point of presence.",
        {
            string_field<Pop>("name", &Pop::name, Reload::live, "Unique POP name.", true, check_entity_name),
            string_field<Pop>("location", &Pop::location, Reload::live, "Human-readable place."),
            string_field<Pop>("network", &Pop::network, Reload::live, "Network label, e.g. the AS."),
            string_field<Pop>("region", &Pop::region, Reload::live, "Region label."),
            array_field<Pop, std::string>("geo", &Pop::geo, "array of places", Reload::live,
                                          "Places it serves while latency to a client is unknown (GeoIP fallback): "
                                          "continents by name (\"Europe\"), ISO 3166-1 countries (\"DE\"), ISO "
                                          "3166-2 subdivisions (\"US-CA\"); the most specific match wins.",
                                          geo_place_element),
            number_field<Pop>("latitude", &Pop::latitude, -90, 90, "degrees", Reload::live, "For the map."),
            number_field<Pop>("longitude", &Pop::longitude, -180, 180, "degrees", Reload::live, "For the map."),
            table_array_field<Pop, Server>("servers", &Pop::servers, server_section, Reload::restart,
                                           "The POP's machines."),
        }};
    return section;
}

const Section<ServiceCheck>& check_section() {
    static const Section<ServiceCheck> section{
        "How probes test an origin.",
        {
            enum_field<ServiceCheck, CheckType>(
                "type", &ServiceCheck::type,
                {{"http", CheckType::http}, {"https", CheckType::https}, {"tcp", CheckType::tcp},
                 {"dns", CheckType::dns}, {"ftp", CheckType::ftp}, {"none", CheckType::none}},
                Reload::live, "What to test."),
            string_field<ServiceCheck>("path", &ServiceCheck::path, Reload::live, "HTTP(S): the URL path to GET.", false,
                                       check_path),
            integer_field<ServiceCheck>("expect_status", &ServiceCheck::expect_status, 100, 599, "", Reload::live,
                                        "HTTP(S): the status that means up."),
            string_field<ServiceCheck>("expect_substring", &ServiceCheck::expect_substring, Reload::live,
                                       "HTTP(S): the body must contain this."),
            string_field<ServiceCheck>("expect_regex", &ServiceCheck::expect_regex, Reload::live,
                                       "HTTP(S): the body must match this ECMAScript regex.", false, optional_regex),
            string_field<ServiceCheck>("expect_sha256", &ServiceCheck::expect_sha256, Reload::live,
                                       "HTTP(S): hex SHA-256 of the whole body.", false, optional_sha256),
            string_field<ServiceCheck>("query_name", &ServiceCheck::query_name, Reload::live, "DNS: the name to ask.",
                                       false, optional_dns_name),
            string_field<ServiceCheck>("expect_address", &ServiceCheck::expect_address, Reload::live,
                                       "DNS: an address the answer must contain.", false, optional_address),
            integer_field<ServiceCheck>("interval_ms", &ServiceCheck::interval_ms, 100, 3600000, "ms", Reload::live,
                                        "Time between checks."),
            integer_field<ServiceCheck>("timeout_ms", &ServiceCheck::timeout_ms, 10, 600000, "ms", Reload::live,
                                        "A check slower than this fails."),
            integer_field<ServiceCheck>("fall", &ServiceCheck::fall, 1, 100, "", Reload::live,
                                        "Consecutive failures that mark the service down."),
            integer_field<ServiceCheck>("rise", &ServiceCheck::rise, 1, 100, "", Reload::live,
                                        "Consecutive successes that mark it up again."),
        }};
    return section;
}

const Section<Origin>& origin_section() {
    static const Section<Origin> section{
        "A customer's origin server (one mirror).",
        {
            string_field<Origin>("name", &Origin::name, Reload::live, "Unique within the customer.", true,
                                 check_entity_name),
            address_field<Origin>("address", &Origin::address, "Where it listens."),
            integer_field<Origin>("port", &Origin::port, 1, max_port, "", Reload::live, "Its HTTP port."),
            integer_field<Origin>("weight", &Origin::weight, 0, 1000000, "", Reload::live,
                                  "Relative share of traffic among equally good mirrors."),
            bool_field<Origin>("backup", &Origin::backup, Reload::live,
                               "Hidden: handed out only while every primary is down."),
            number_field<Origin>("cost", &Origin::cost, 0, 1e9, "", Reload::live, "Relative cost of traffic here."),
            table_field<Origin, ServiceCheck>("check", &Origin::check, check_section, Reload::live,
                                              "The service test probes run against it."),
        }};
    return section;
}

const Section<StaticMapping>& static_mapping_section() {
    static const Section<StaticMapping> section{
        "Clients in a prefix always get these servers (while any is up).",
        {
            cidr_field<StaticMapping>("client", &StaticMapping::client, "Client (or ECS) prefix."),
            array_field<StaticMapping, std::string>("servers", &StaticMapping::servers, "array of names", Reload::live,
                                                    "Origin names (dynamic) or POP names (static).", name_element, true),
        }};
    return section;
}

const Section<Policy>& policy_section() {
    static const Section<Policy> section{
        "How DNS chooses the answer for this name.",
        {
            number_field<Policy>("weight_health", &Policy::weight_health, 0, 1000, "", Reload::live,
                                 "Weight of the health score (down servers are always excluded)."),
            number_field<Policy>("weight_load", &Policy::weight_load, 0, 1000, "", Reload::live, "Weight of load."),
            number_field<Policy>("weight_latency", &Policy::weight_latency, 0, 1000, "", Reload::live,
                                 "Weight of latency to the client."),
            number_field<Policy>("weight_loss", &Policy::weight_loss, 0, 1000, "", Reload::live,
                                 "Weight of packet loss."),
            number_field<Policy>("weight_cost", &Policy::weight_cost, 0, 1000, "", Reload::live, "Weight of cost."),
            bool_field<Policy>("use_weights", &Policy::use_weights, Reload::live,
                               "Split traffic among near-equal candidates by their configured weights."),
            integer_field<Policy>("ttl_s", &Policy::ttl_s, 0, 604800, "s", Reload::live, "TTL of the answer."),
            integer_field<Policy>("answers", &Policy::answers, 1, 16, "", Reload::live, "Addresses per response."),
            integer_field<Policy>("persistence_s", &Policy::persistence_s, 0, 604800, "s", Reload::live,
                                  "A client keeps its answer this long unless it fails (0 = off)."),
            enum_field<Policy, AllDownPolicy>("when_all_down", &Policy::when_all_down,
                                              {{"return_all", AllDownPolicy::return_all},
                                               {"return_backups", AllDownPolicy::return_backups},
                                               {"servfail", AllDownPolicy::servfail}},
                                              Reload::live, "What to answer when every candidate is down."),
            table_array_field<Policy, StaticMapping>("static_mappings", &Policy::static_mappings,
                                                     static_mapping_section, Reload::live,
                                                     "Client prefix -> fixed servers."),
        }};
    return section;
}

const Section<Domain>& domain_section() {
    static const Section<Domain> section{
        "A name we answer for: dynamic (the customer's origins) or static (the POP caches).",
        {
            string_field<Domain>("name", &Domain::name, Reload::live, "Fully qualified, no trailing dot.", true,
                                 check_dns_name, "DNS name"),
            enum_field<Domain, DomainKind>("kind", &Domain::kind,
                                           {{"dynamic", DomainKind::dynamic_name}, {"static", DomainKind::static_name}},
                                           Reload::live, "dynamic: DNS picks an origin; static: DNS picks a POP cache."),
            array_field<Domain, std::string>("origins", &Domain::origins, "array of origin names", Reload::live,
                                             "Dynamic: the candidates. Static: where caches fetch from.", name_element),
            array_field<Domain, std::string>("pops", &Domain::pops, "array of POP names", Reload::live,
                                             "Static: the POPs serving it (default: every POP with a cache).",
                                             name_element),
            bool_field<Domain>("origin_competes", &Domain::origin_competes, Reload::live,
                               "Static: the customer's origins compete with the POPs for the answer."),
            bool_field<Domain>("path_form", &Domain::path_form, Reload::live,
                               "Static: accept /<one of the customer's domain names>/<path> URLs."),
            string_field<Domain>("origin_host", &Domain::origin_host, Reload::live,
                                 "Static: Host header sent to the origin.", false, optional_dns_name, "DNS name"),
            integer_field<Domain>("revalidate_s", &Domain::revalidate_s, 0, 31536000, "s", Reload::live,
                                  "Caches revalidate stored objects after this long (0 = off)."),
            integer_field<Domain>("slice_bytes", &Domain::slice_bytes, 0, 1073741824, "bytes", Reload::live,
                                  "Static: caches fetch and store objects in slices of this size with "
                                  "Range requests (0 = whole objects; at least 16384)."),
            table_field<Domain, Policy>("policy", &Domain::policy, policy_section, Reload::live, "Selection rules."),
        }};
    return section;
}

const Section<Record>& record_section() {
    static const Section<Record> section{
        "An extra static record in one of our zones.",
        {
            string_field<Record>("name", &Record::name, Reload::live, "Owner name.", true, check_dns_name, "DNS name"),
            string_field<Record>("type", &Record::type, Reload::live, "A, AAAA, TXT, CNAME, MX or NS.", true,
                                 record_type),
            string_field<Record>("value", &Record::value, Reload::live,
                                 "Presentation format, e.g. \"192.0.2.1\" or \"10 mail.example.com\".", true),
            integer_field<Record>("ttl_s", &Record::ttl_s, 0, 604800, "s", Reload::live, "TTL."),
        }};
    return section;
}

const Section<Certificate>& certificate_section() {
    static const Section<Certificate> section{
        "A TLS certificate the caches present on `ports.https` for these names (chosen by SNI; a "
        "handshake for any other name is refused). Relative paths are resolved against the working "
        "directory of the process; `udn check` verifies the files, the key and the names.",
        {
            array_field<Certificate, std::string>("names", &Certificate::names, "array of DNS names", Reload::live,
                                                  "Names it is served for: exact, or `*.zone` (one label).",
                                                  tls_name_element, true),
            string_field<Certificate>("cert", &Certificate::cert, Reload::live,
                                      "PEM file: the certificate, then its intermediate chain.", true, nullptr, "path"),
            string_field<Certificate>("key", &Certificate::key, Reload::live, "PEM file: its private key.", true,
                                      nullptr, "path"),
        }};
    return section;
}

const Section<Customer>& customer_section() {
    static const Section<Customer> section{
        "A customer: its zones, origins, names and records.",
        {
            string_field<Customer>("name", &Customer::name, Reload::live, "Unique customer name.", true,
                                   check_entity_name),
            array_field<Customer, std::string>("zones", &Customer::zones, "array of DNS names", Reload::live,
                                               "Zones delegated to us; each domain lies in one (or in cdn_zone).",
                                               dns_name_element),
            table_array_field<Customer, Origin>("origins", &Customer::origins, origin_section, Reload::live,
                                                "Mirrored origin servers."),
            table_array_field<Customer, Domain>("domains", &Customer::domains, domain_section, Reload::live,
                                                "Names we answer for."),
            table_array_field<Customer, Record>("records", &Customer::records, record_section, Reload::live,
                                                "Extra static records in the customer's zones."),
            table_array_field<Customer, Certificate>("certificates", &Customer::certificates, certificate_section,
                                                     Reload::live, "HTTPS certificates of its names."),
        }};
    return section;
}

const Section<CoverageZone>& coverage_section() {
    static const Section<CoverageZone> section{
        "Fallback while latency to a client is unknown: clients in the prefix go to the POP.",
        {
            cidr_field<CoverageZone>("client", &CoverageZone::client, "Client (or ECS) prefix."),
            string_field<CoverageZone>("pop", &CoverageZone::pop, Reload::live, "The POP assumed nearest.", true,
                                       check_entity_name),
        }};
    return section;
}

const Section<LogServer>& log_server_section() {
    static const Section<LogServer> section{
        "A log collector and the customers whose logs it manages.",
        {
            string_field<LogServer>("server", &LogServer::server, Reload::live, "A server with the logs role.", true,
                                    check_entity_name),
            array_field<LogServer, std::string>("customers", &LogServer::customers, "array of customer names",
                                                Reload::live, "Customers it manages (empty = all).", name_element),
        }};
    return section;
}

const Section<Config>& config_section() {
    static const Section<Config> section{
        "The whole network in one file.",
        {
            integer_field<Config>("version", &Config::version, 1, 9007199254740991LL, "", Reload::live,
                                  "Monotonic version; a push must raise it."),
            table_field<Config, Network>("network", &Config::network, network_section, Reload::live, "The network.",
                                         true),
            table_field<Config, Ports>("ports", &Config::ports, ports_section, Reload::restart, "Ports per role."),
            table_field<Config, ProbeSettings>("probe", &Config::probe, probe_section, Reload::live, "Probe data."),
            table_field<Config, DnsSettings>("dns", &Config::dns, dns_section, Reload::live,
                                             "How DNS servers share client state."),
            table_field<Config, PushSettings>("push", &Config::push, push_section, Reload::live, "Push tree."),
            table_field<Config, LogSettings>("logs", &Config::logs, logs_section, Reload::live, "Log spools."),
            table_array_field<Config, AdminKey>("admin_keys", &Config::admin_keys, admin_key_section, Reload::live,
                                                "Who may push configuration."),
            table_array_field<Config, Pop>("pops", &Config::pops, pop_section, Reload::restart, "Points of presence."),
            table_array_field<Config, Customer>("customers", &Config::customers, customer_section, Reload::live,
                                                "Customers."),
            table_array_field<Config, Record>("records", &Config::records, record_section, Reload::live,
                                              "Extra static records in the network's own zones."),
            table_array_field<Config, CoverageZone>("coverage", &Config::coverage, coverage_section, Reload::live,
                                                    "Latency fallback map."),
            table_array_field<Config, LogServer>("log_servers", &Config::log_servers, log_server_section, Reload::live,
                                                 "Log collectors."),
        }};
    return section;
}

}  // namespace

std::string closest_key(std::string_view unknown, const std::vector<std::string_view>& known) {
    // Levenshtein distance; suggest only close matches so the hint is never misleading.
    std::string best;
    std::size_t best_distance = 3;
    for (const auto candidate : known) {
        std::vector<std::size_t> row(candidate.size() + 1);
        for (std::size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= unknown.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= candidate.size(); ++j) {
                const std::size_t above = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (unknown[i - 1] == candidate[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        if (row[candidate.size()] < best_distance) {
            best_distance = row[candidate.size()];
            best = std::string{candidate};
        }
    }
    return best;
}

void Context::error(int line, std::string what, std::string fix) {
    errors_.push_back(Diagnostic{file_, line, std::move(what), std::move(fix)});
}

void Context::error(const toml::node& node, std::string what, std::string fix) {
    error(line_of(node), std::move(what), std::move(fix));
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

void apply_root(const toml::table& document, Config& config, Context& context) {
    apply_section(config_section(), document, config, context, "");
}

std::string render_reference() {
    std::string out;
    render_section(config_section(), out, "");
    return out;
}

}  // namespace udn::config::schema
