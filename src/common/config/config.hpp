// The global configuration tree as typed, immutable values. Loaded and validated by
// config/loader.hpp from TOML (docs/configuration.md documents every key); shared between
// threads as std::shared_ptr<const Config> (see config/snapshot.hpp). Statistics and state
// never go in here: only what operators write.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip_address.hpp"

namespace udn::config {

enum class Role : std::uint8_t { dns, cache, probe, loadp, configd, logs, view };
enum class DomainKind : std::uint8_t { dynamic_name, static_name };
// What DNS answers for a name when every candidate server is down.
enum class AllDownPolicy : std::uint8_t { return_all, return_backups, servfail };
enum class CheckType : std::uint8_t { http, https, tcp, dns, ftp, none };
// How a server with the cache role runs its tiers: one process, or a memory front on ports.http
// and a disk back on ports.cache_backend (docs/cache.md, "Two processes").
enum class CacheTiers : std::uint8_t { one_process, two_process };

std::string_view to_string(Role role);
std::string_view to_string(DomainKind kind);
std::string_view to_string(AllDownPolicy policy);
std::string_view to_string(CheckType type);

// Every entity remembers the line it was declared on, so that cross-reference errors found
// after parsing and runtime messages can point at the file.
struct SourceLine {
    int line = 0;
};

// Ports are per role; every server has its own address(es), so the same port numbers repeat
// across servers. Defaults are the well-known ports; tests override them.
struct Ports {
    std::uint16_t dns = 53;             // UDP+TCP, authoritative DNS
    std::uint16_t http = 80;            // cache, plain HTTP
    std::uint16_t https = 443;          // cache, TLS
    std::uint16_t cache_backend = 8081; // disk tier when run as its own process
    std::uint16_t reports = 5301;       // UDP: probe reports into dns and logs roles
    std::uint16_t latency = 5302;       // UDP: dns -> latency probe requests and results
    std::uint16_t loadp = 5303;         // UDP: load agent queries
    std::uint16_t configd = 5304;       // TCP+TLS: configuration push
    std::uint16_t dns_cluster = 5305;   // UDP: queries forwarded to the DNS server owning the client
    // HTTP admin endpoints (/metrics, purge, status), one per role so that roles sharing a
    // server's address do not collide.
    std::uint16_t dns_admin = 9153;
    std::uint16_t cache_admin = 9180;
    std::uint16_t cache_backend_admin = 9181;  // the disk back's admin when the tiers run as two processes
    std::uint16_t probe_admin = 9170;
    std::uint16_t loadp_admin = 9171;
    std::uint16_t configd_admin = 9174;
    std::uint16_t origin = 8080;        // default port of customers' origins
};

struct Network {
    std::string name;
    std::string domain;      // the network's own zone: service names such as log.<domain>
    std::string cdn_zone;    // static CDN names live under it: <customer>.<cdn_zone>
    std::string hostmaster;  // SOA RNAME, as a mailbox "hostmaster@..."
    std::string report_key;  // hex, >= 32 bytes: HMAC key of probe reports and latency requests
    std::optional<std::string> geoip_database;  // path to a MaxMind .mmdb, optional fallback
    int geoip_database_line = 0;                // where it was set, for `udn check`
};

struct AdminKey : SourceLine {
    std::string name;
    std::string public_key;  // base64 of a raw 32-byte Ed25519 public key
};

struct Server : SourceLine {
    std::string name;  // unique across the network
    std::string pop;   // the POP it belongs to (filled by the loader)
    std::vector<net::IpAddress> addresses;
    std::vector<Role> roles;
    std::vector<std::string> forwards_to;  // push tree: configd children of this server
    CacheTiers cache_tiers = CacheTiers::one_process;

    bool has_role(Role role) const;
};

struct Pop : SourceLine {
    std::string name;
    std::string location;  // human-readable place
    std::string network;   // network label, e.g. an AS or provider
    std::string region;    // label only
    std::vector<std::string> geo;  // places it serves while latency is unknown (GeoIP fallback)
    double latitude = 0;
    double longitude = 0;
    std::vector<Server> servers;
};

struct ServiceCheck {
    CheckType type = CheckType::http;
    std::string path = "/";               // http(s)
    int expect_status = 200;              // http(s)
    std::string expect_substring;         // http(s): body must contain it
    std::string expect_regex;             // http(s): body must match it (ECMAScript)
    std::string expect_sha256;            // http(s): hex digest of the whole body
    std::string query_name;               // dns: name to ask
    std::string expect_address;           // dns: an address the answer must contain
    std::uint32_t interval_ms = 1000;
    std::uint32_t timeout_ms = 800;
    std::uint32_t fall = 2;               // consecutive failures to mark down
    std::uint32_t rise = 3;               // consecutive successes to mark up
};

struct Origin : SourceLine {
    std::string name;  // unique within its customer
    net::IpAddress address;
    std::uint16_t port = 8080;
    std::uint32_t weight = 100;
    bool backup = false;  // hidden: handed out only while every primary is down
    double cost = 0;      // operator's relative cost of sending traffic here
    ServiceCheck check;
};

struct StaticMapping {
    net::Cidr client;
    std::vector<std::string> servers;  // origin names (dynamic) or POP names (static)
};

// How a name's answer is chosen. Scores combine normalised inputs by these weights; health is
// also a hard filter (down servers are never handed out while a healthy one exists).
struct Policy {
    double weight_health = 1;
    double weight_load = 1;
    double weight_latency = 1;
    double weight_loss = 1;
    double weight_cost = 0;
    bool use_weights = true;            // origin/POP weights split traffic among near-equal scores
    std::uint32_t ttl_s = 30;
    std::uint32_t answers = 1;          // N best addresses per response
    std::uint32_t persistence_s = 0;    // 0 = off
    AllDownPolicy when_all_down = AllDownPolicy::return_all;
    std::vector<StaticMapping> static_mappings;
};

struct Domain : SourceLine {
    std::string name;  // fully qualified, lower case, no trailing dot
    DomainKind kind = DomainKind::dynamic_name;
    // Dynamic: the candidates DNS chooses among. Static: where caches fetch from.
    std::vector<std::string> origins;
    // Static: the POPs whose caches serve this name (empty = every POP with a cache).
    std::vector<std::string> pops;
    // Static: the customer's origin competes with the POPs for the answer.
    bool origin_competes = false;
    // Static: accept the path form /<one of this customer's domain names>/path.
    bool path_form = false;
    // Static: Host header sent to the origin (default: the first dynamic domain name or this name).
    std::string origin_host;
    std::uint32_t revalidate_s = 0;  // periodic revalidation of cached objects (0 = off)
    // Static: caches fetch and store objects in slices of this many bytes (0 = whole objects).
    std::uint32_t slice_bytes = 1024 * 1024;
    Policy policy;
};

struct Record : SourceLine {
    std::string name;
    std::string type;   // A, AAAA, TXT, CNAME, MX, NS
    std::string value;  // presentation format
    std::uint32_t ttl_s = 300;
};

// A TLS certificate the caches present on ports.https for the names listed (chosen by SNI).
struct Certificate : SourceLine {
    std::vector<std::string> names;  // exact names or "*.zone" wildcards (one label)
    std::string cert;                // PEM file: the certificate, then its chain
    std::string key;                 // PEM file: its private key
};

struct Customer : SourceLine {
    std::string name;
    std::vector<std::string> zones;  // zones delegated to us; every domain lies in one (or in cdn_zone)
    std::vector<Origin> origins;
    std::vector<Domain> domains;
    std::vector<Record> records;  // extra static records in the customer's zones
    std::vector<Certificate> certificates;  // HTTPS on the caches
};

struct ProbeSettings {
    std::uint32_t staleness_ms = 5000;           // DNS ignores service data older than this
    std::uint32_t latency_staleness_s = 3600;    // and latency data older than this
    std::uint32_t report_max_age_ms = 10000;     // receivers drop reports older (replay window)
    std::uint32_t latency_batch_max = 64;        // client addresses per latency request datagram
    std::uint32_t latency_attempts = 4;          // probes per latency measurement (loss = unanswered share)
};

// How the DNS servers of the network share client state (latency and persistence per client
// prefix): each prefix has one owner by rendezvous hashing; the others forward its GSLB queries.
struct DnsSettings {
    bool share_client_state = true;
    std::uint32_t forward_timeout_ms = 50;  // then the forwarding server decides by itself
    std::uint32_t latency_spare_pops = 2;   // latency-table slots beyond the POPs at start
    std::uint32_t latency_prefixes = 1 << 20;     // client prefixes whose latency a server keeps
    std::uint32_t persistence_entries = 1 << 18;  // (client prefix, name) persistence windows kept
    std::uint32_t client_state_save_s = 300;      // client state saved this often (and at stop); 0: at stop only
};

struct CoverageZone : SourceLine {
    net::Cidr client;
    std::string pop;  // the POP assumed nearest while latency is unknown
};

struct PushSettings {
    std::vector<std::string> masters;  // servers the admin tool sends to first
    std::uint32_t keep_versions = 10;
    std::uint32_t prepare_timeout_ms = 10000;
};

struct LogServer : SourceLine {
    std::string server;
    std::vector<std::string> customers;  // empty = all
};

struct LogSettings {
    std::uint32_t spool_max_bytes = 4 * 1024 * 1024;  // a spool file is closed at this size
    std::uint32_t spool_max_age_s = 60;               // or at this age
};

struct Config {
    std::uint64_t version = 1;
    std::string content_hash;  // sha256 hex of the file's bytes (set by the loader)
    std::string source_path;   // where it was loaded from
    Network network;
    Ports ports;
    ProbeSettings probe;
    DnsSettings dns;
    PushSettings push;
    LogSettings logs;
    std::vector<AdminKey> admin_keys;
    std::vector<Pop> pops;
    std::vector<Customer> customers;
    std::vector<Record> records;  // extra static records in the network's own zones
    std::vector<CoverageZone> coverage;
    std::vector<LogServer> log_servers;

    // Lookups for the components; linear scans are fine at configuration sizes on the control
    // path. Hot paths build their own indexes from a snapshot once per reload.
    const Pop* find_pop(std::string_view name) const;
    const Server* find_server(std::string_view name) const;
    const Customer* find_customer(std::string_view name) const;
    std::vector<const Server*> servers_with_role(Role role) const;
};

}  // namespace udn::config
