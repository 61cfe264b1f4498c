#!/usr/bin/env bash
# bench/http: udn cache next to nginx proxy_cache, Varnish and Apache Traffic Server, all in
# front of the same origin, through the shared harness (/work/shared/peers/http-peers.sh -x):
# one core each (udn: one worker thread, pinned to SERVER_CPU), wrk on the other core with 64
# connections, 1 KiB / 100 KiB / 1 MiB hits, origin checked to see no request while measuring.
# Prints the harness's summary (req/s, transfer, p50/p99, server CPU per request) and then the
# memory overhead per cached object of udn. Not part of `make test`. Every process this script
# starts is stopped by PID on exit.
#
# Usage: bench/http/run.sh [http-peers.sh options, e.g. -s none -r 1 -d 5]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# The peers, load generators and tools the benchmarks use (`make bench-deps`; silent when present).
"$repo/scripts/install-deps.sh" "$repo/bench/deps.list"
peers="${PEERS:-/work/shared/peers/http-peers.sh}"
udn="${UDN:-$repo/build/release/udn}"
port="${UDN_PORT:-9090}"
admin_port="${UDN_ADMIN_PORT:-9190}"
origin_port="${PORT_ORIGIN:-8080}"
server_cpu="${SERVER_CPU:-0}"
work="$(mktemp -d /tmp/udn-bench-http.XXXXXX)"
pids=()
# Every process here is started with setsid, so its PID is its process group: the group is
# stopped, children included (the harness's --hold `sleep` once outlived it and kept the
# benchmark lock, which it inherited through flock, for five minutes).
cleanup() { for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

[ -x "$udn" ] || { echo "bench/http: build the release binary first: make build" >&2; exit 1; }
cat > "$work/bench.toml" <<TOML
version = 1
[network]
name = "bench"
domain = "udn.bench"
cdn_zone = "cdn.bench"
hostmaster = "hostmaster@udn.bench"
report_key = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
[ports]
http = $port
cache_admin = $admin_port
[[pops]]
name = "bench"
location = "here"
network = "AS64500"
region = "eu"
  [[pops.servers]]
  name = "ns"
  addresses = ["127.0.0.2"]
  roles = ["dns"]
  [[pops.servers]]
  name = "edge"
  addresses = ["127.0.0.1"]
  roles = ["cache"]
[[customers]]
name = "bench"
zones = ["bench.example"]
  [[customers.origins]]
  name = "origin"
  address = "127.0.0.1"
  port = $origin_port
  [[customers.domains]]
  name = "www.bench.example"
  kind = "static"
  origins = ["origin"]
TOML
"$udn" check "$work/bench.toml" >/dev/null
# The harness sends Host: 127.0.0.1:<port>; --host-alias maps exactly that name to the
# configured site (any other Host is still refused).
setsid taskset -c "$server_cpu" "$udn" cache --config "$work/bench.toml" --server edge --state-dir "$work/state" \
    --threads 1 --memory-mb 1024 --disk-mb 0 --host-alias 127.0.0.1=www.bench.example > "$work/udn.log" 2>&1 &
udn_pid=$!  # setsid and taskset exec: this is the cache's own PID
pids+=($udn_pid)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$admin_port/healthz" && break; sleep 0.1; done
"$peers" -x "127.0.0.1:$port" -n udn "$@"

# Memory overhead per cached object: the slope of RSS while distinct 1 KiB objects 20,000 to
# 80,000 are stored, minus what the objects themselves are (body + stored header block). Needs
# the harness's origin, so it runs the harness with --hold in the background.
if [ -z "${SKIP_MEMORY:-}" ]; then
    # The harness refuses to run with no target at all ("nothing to measure"): name udn as one.
    setsid "$peers" -s none -x "127.0.0.1:$port" -n udn --hold 300 > "$work/hold.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$origin_port/obj/1k" && break; sleep 0.2; done
    /usr/bin/python3 "$here/memory_overhead.py" "127.0.0.1" "$port" "$udn_pid" 20000 60000
fi
