#!/usr/bin/env bash
# bench/dns/config.sh PORT — the udn configuration the DNS benchmarks serve on 127.0.0.1:PORT:
# the peers' benchmark zone (dns-peers.sh --emit-zone static example.test) as the customer
# zone example.test with the same names; gslb.example.test is a live GSLB name choosing one
# of three origins per query (weights, health, scoring — like gdnsd's weighted DYNA).
set -euo pipefail
[[ $# -eq 1 && "$1" =~ ^[0-9]+$ ]] || { echo "usage: $0 PORT" >&2; exit 2; }
port="$1"
cat <<CONF
version = 1
[network]
name = "bench"
domain = "udn.bench"
cdn_zone = "cdn.bench"
hostmaster = "hostmaster@udn.bench"
report_key = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
[ports]
dns = $port
reports = $((port + 1))
latency = $((port + 2))
dns_admin = $((port + 3))
[[pops]]
name = "bench"
region = "bench"
  [[pops.servers]]
  name = "ns1"
  addresses = ["127.0.0.1"]
  roles = ["dns"]
[[customers]]
name = "bench"
zones = ["example.test"]
CONF
for i in 1 2 3; do
    printf '  [[customers.origins]]\n  name = "o%s"\n  address = "192.0.2.10%s"\n' "$i" "$i"
done
printf '  [[customers.domains]]\n  name = "gslb.example.test"\n  kind = "dynamic"\n  origins = ["o1", "o2", "o3"]\n'
printf '    [customers.domains.policy]\n    ttl_s = 30\n    answers = 1\n'
record() { printf '  [[customers.records]]\n  name = "%s"\n  type = "A"\n  value = "%s"\n' "$1" "$2"; }
record example.test 192.0.2.1
record www.example.test 192.0.2.10
record ns1.example.test 192.0.2.53
record ns2.example.test 192.0.2.54
for i in $(seq 1 18); do record "host$(printf %02d "$i").example.test" "192.0.2.$((10 + i))"; done
