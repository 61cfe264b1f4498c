#!/usr/bin/env bash
# bench/dns/run.sh — udn dns beside Knot DNS, NSD and gdnsd under the shared peers harness
# (../shared/peers/dns-peers.sh: same zone, server pinned to CPU 0 with one worker, dnsperf on
# CPU 1, CPU time per query from /proc). Two udn targets: with the query log on (the default)
# and off. Then measures the latency state for 1M client prefixes (memory, record/lookup cost).
# Usage: bench/dns/run.sh [dns-peers.sh options, e.g. -d 10 -r 3 -m mixed,gslb]
# Environment: PEERS_DIR (default: ../shared/peers beside the repository, else /work/shared/peers),
#              PEERS (default nsd,knot,gdnsd), PORT_UDN (5354), PORT_UDN_NOLOG (5364).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
peers_dir="${PEERS_DIR:-$repo/../shared/peers}"
[[ -x "$peers_dir/dns-peers.sh" ]] || peers_dir=/work/shared/peers
[[ -x "$peers_dir/dns-peers.sh" ]] || { echo "bench/dns: dns-peers.sh not found; set PEERS_DIR" >&2; exit 1; }
port_log="${PORT_UDN:-5354}"
port_nolog="${PORT_UDN_NOLOG:-5364}"
run="$(mktemp -d /tmp/udn-bench-dns.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "-$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "-$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM

make -C "$repo" build >/dev/null
udn="$repo/build/release/udn"

# The peers' benchmark zone (dns-peers.sh --emit-zone static example.test) as a udn config:
# the customer zone example.test with the same names; gslb.example.test is a live GSLB name
# choosing one of three origins per query (like gdnsd's weighted DYNA).
write_config() {  # file port
    local port="$1"
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
}

start_udn() {  # name port query-log
    write_config "$2" > "$run/$1.toml"
    "$udn" check "$run/$1.toml" >/dev/null
    setsid taskset -c "${SERVER_CPU:-0}" "$udn" dns --config "$run/$1.toml" --server ns1 --workers 1 \
        --query-log "$3" --state-dir "$run/$1" >"$run/$1.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 100); do
        dig +short +time=1 +tries=1 @127.0.0.1 -p "$2" www.example.test >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench/dns: udn ($1) did not start; log:" >&2; cat "$run/$1.log" >&2; exit 1
}

start_udn udn "$port_log" true
start_udn udn-nolog "$port_nolog" false
echo "bench/dns: udn on 127.0.0.1:$port_log (query log on) and :$port_nolog (off); run dir $run"
"$peers_dir/dns-peers.sh" -s "${PEERS:-nsd,knot,gdnsd}" -x "127.0.0.1:$port_log,127.0.0.1:$port_nolog" \
    -z example.test -n udn,udn-nolog "$@"

echo "bench/dns: latency state for 1M client prefixes"
g++ -O2 -std=c++20 -I"$repo/src" -o "$run/latency_memory" "$repo/bench/dns/latency_memory.cpp" \
    "$repo/src/dns/gslb/latency_table.cpp" "$repo/src/common/net/ip_address.cpp"
taskset -c "${SERVER_CPU:-0}" "$run/latency_memory" 1000000
