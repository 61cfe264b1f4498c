#!/usr/bin/env bash
# bench/dns/instructions.sh — user-space instructions per query of `udn dns` (one worker), from
# valgrind's callgrind: stable on a busy machine where CPU-time figures are noisy, so two
# versions of our own code can be compared exactly. Counts every thread of the process (the
# UDP worker, the query-log writer, ...) between a counter reset after start-up and a dump
# after a fixed number of queries; kernel work (the socket calls) is not included. With -c it
# also simulates the caches (slower) and prints data-cache misses per query: the query log's
# ring slots are cold when a worker writes them, so their layout shows there, not in instructions.
# Usage: bench/dns/instructions.sh [-b UDN_BINARY] [-m gslb|mixed] [-n QUERIES] [-l true|false] [-c]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
# The peers, load generators and tools the benchmarks use (`make bench-deps`; silent when present).
"$repo/scripts/install-deps.sh" "$repo/bench/deps.list"
udn="" mix=gslb queries=20000 query_log=true cache_sim=no port="${PORT_UDN:-5374}"
while getopts "b:m:n:l:c" option; do
    case "$option" in
        b) udn="$OPTARG" ;;
        m) mix="$OPTARG" ;;
        n) queries="$OPTARG" ;;
        l) query_log="$OPTARG" ;;
        c) cache_sim=yes ;;
        *) echo "usage: $0 [-b UDN_BINARY] [-m gslb|mixed] [-n QUERIES] [-l true|false] [-c]" >&2; exit 2 ;;
    esac
done
[[ "$queries" =~ ^[0-9]+$ && "$queries" -ge 100 && "$queries" -le 1000000 ]] || { echo "bench/dns: -n 100..1000000" >&2; exit 2; }
if [[ -z "$udn" ]]; then
    make -C "$repo" build >/dev/null
    udn="$repo/build/release/udn"
fi
run="$(mktemp -d /tmp/udn-bench-instructions.XXXXXX)"
pid=""
cleanup() {
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$repo/bench/dns/config.sh" "$port" > "$run/bench.toml"
case "$mix" in
    gslb) for _ in $(seq 100); do echo "gslb.example.test A"; done > "$run/queries" ;;
    mixed) awk 'BEGIN { n = split("@ www host01 host02 host03 host04 host05 host06 host07 host08 host09 host10 host11 host12 host13 host14 host15 host16 host17 host18 ns1 ns2", h, " "); j = 0
           for (i = 0; i < 1000; i++) { r = i % 10
             if (r < 6) { nm = h[(j++ % n) + 1]; print (nm == "@" ? "example.test" : nm ".example.test") " A" }
             else if (r < 8) print "gslb.example.test A"; else printf "nx-%04d.example.test A\n", i } }' > "$run/queries" ;;
    *) echo "bench/dns: unknown mix $mix" >&2; exit 2 ;;
esac
lines=$(wc -l < "$run/queries")
(( queries % lines == 0 )) || { echo "bench/dns: -n must be a multiple of $lines for mix $mix" >&2; exit 2; }

valgrind --tool=callgrind --cache-sim="$cache_sim" --compress-strings=no --callgrind-out-file="$run/callgrind.out.%p" "$udn" dns --config "$run/bench.toml" \
    --server ns1 --workers 1 --query-log "$query_log" --state-dir "$run/state" >"$run/udn.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" www.example.test >/dev/null 2>&1 && break
    sleep 0.2
done
dig +short +time=2 +tries=3 @127.0.0.1 -p "$port" gslb.example.test | grep -q . || { cat "$run/udn.log" >&2; exit 1; }
sleep 1
callgrind_control -z "$pid" >/dev/null
# Bounded: -n passes over the file, paced so valgrind's slow worker loses nothing.
timeout 600 dnsperf -s 127.0.0.1 -p "$port" -d "$run/queries" -n $((queries / lines)) -Q 3000 -c 4 -q 50 -t 5 \
    > "$run/dnsperf.txt" 2>&1
sleep 1  # the query log writer drains every few ms
callgrind_control -d "$pid" >/dev/null
sleep 1
answered=$(awk '/Queries completed:/ {print $3}' "$run/dnsperf.txt")
lost=$(awk '/Queries lost:/ {print $3}' "$run/dnsperf.txt")
dump=$(ls -t "$run"/callgrind.out.* | head -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
echo "bench/dns: $udn, mix $mix, query log $query_log: $answered queries answered ($lost lost)," \
     "$total instructions, $(( total / answered )) instructions per query (all threads, user space)"
if [[ "$cache_sim" == yes ]]; then
    # Events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw (L1 data and last-level data misses).
    awk -v n="$answered" '/^totals:/ {
        printf "bench/dns: per query: L1 data misses %.2f read / %.2f write, last-level %.2f read / %.2f write\n",
               $6 / n, $7 / n, $9 / n, $10 / n; exit }' "$dump"
fi
echo "bench/dns: top functions: callgrind_annotate $dump | head -40"
