#!/usr/bin/env bash
# bench/dns/run.sh — udn dns beside Knot DNS, NSD and gdnsd under the shared peers harness
# (../shared/peers/dns-peers.sh: same zone, server pinned to CPU 0 with one worker, dnsperf on
# CPU 1, CPU time per query from /proc). Two udn targets: with the query log on (the default)
# and off. Then a second pass measures latency percentiles under the same dnsperf load for every
# server (dnsperf 2.10 prints only average and max): latency_sampler.cpp sends paced queries
# for gslb.example.test beside dnsperf and reports p50/p99/max. Last, the latency state for 1M
# client prefixes (memory, record/lookup cost).
# Usage: bench/dns/run.sh [dns-peers.sh options, e.g. -d 10 -r 3 -m mixed,gslb]
# Environment: PEERS_DIR (default: ../shared/peers beside the repository, else /work/shared/peers),
#              PEERS (default nsd,knot,gdnsd), PORT_UDN (5354), PORT_UDN_NOLOG (5364),
#              UDN_BIN (a udn binary to measure instead of building build/release/udn),
#              UDN_BASELINE (a second udn binary, e.g. main's, measured in the same loop as
#              udn-base / udn-base-nolog on PORT_UDN + 40 / + 50),
#              PAIRED_WITH (gdnsd: the peer every target's CPU per query and p99 are paired with, per
#              repetition; the first of PEERS when it is not among them; none: no pairing),
#              SAMPLE_QPS (2000: sampler rate), SKIP_PEERS_PASS=1 / SKIP_P99=1 / SKIP_MEMORY=1,
#              KEEP_SPOOL=1 (do not emulate the log shipper: every query-log file stays on disk).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
# The peers, load generators and tools the benchmarks use (`make bench-deps`; silent when present).
"$repo/scripts/install-deps.sh" "$repo/bench/deps.list"
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

udn="${UDN_BIN:-}"
if [[ -z "$udn" ]]; then
    make -C "$repo" build >/dev/null
    udn="$repo/build/release/udn"
fi
duration=10 reps=3 mixes=mixed,gslb peers_out=""
args=("$@")
for ((i = 0; i < ${#args[@]} - 1; ++i)); do
    case "${args[i]}" in
        -d) duration="${args[i + 1]}" ;;
        -r) reps="${args[i + 1]}" ;;
        -m) mixes="${args[i + 1]}" ;;
        -o) peers_out="${args[i + 1]}" ;;
    esac
done
# The peer both passes pair every target with (one choice, so that their ratios are comparable):
# PAIRED_WITH when it is measured, else the first of PEERS; "none" pairs with nothing.
IFS=, read -r -a peer_list <<< "${PEERS:-nsd,knot,gdnsd}"
pairing_peer="${PAIRED_WITH:-gdnsd}"
if [[ "$pairing_peer" != none && ",${PEERS:-nsd,knot,gdnsd}," != *",$pairing_peer,"* ]]; then
    echo "bench/dns: PAIRED_WITH=$pairing_peer is not among PEERS=${PEERS:-nsd,knot,gdnsd}; pairing with ${peer_list[0]}" >&2
    pairing_peer="${peer_list[0]}"
fi
if [[ -z "$peers_out" ]]; then  # where dns-peers.sh would put it, named here so paired.py finds it
    peers_out="$peers_dir/results/dns-$(date +%Y%m%d-%H%M%S)"
    args+=(-o "$peers_out")
fi

start_udn() {  # name port query-log [binary]
    local binary="${4:-$udn}"
    "$repo/bench/dns/config.sh" "$2" > "$run/$1.toml"
    "$binary" check "$run/$1.toml" >/dev/null
    setsid taskset -c "${SERVER_CPU:-0}" "$binary" dns --config "$run/$1.toml" --server ns1 --workers 1 \
        --query-log "$3" --state-dir "$run/$1" >"$run/$1.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 100); do
        dig +short +time=1 +tries=1 @127.0.0.1 -p "$2" www.example.test >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench/dns: udn ($1) did not start; log:" >&2; cat "$run/$1.log" >&2; exit 1
}

# The log pipeline ships every closed query-log file (spool/dns/ready/) and deletes it; without
# that, the files of a 200k-lines/s run pile up at ~10 MB/s and every page written is a page of
# memory the kernel has never handed out before. On this VM such a first touch costs ~8 µs per
# 4 KiB page against ~1 µs for a recycled one (dd shows it), 0.3 µs per query — a cost no
# operator's server pays once its page cache is warm (docs/dns-performance.md). So the shipper
# is emulated: closed files are deleted as they appear. KEEP_SPOOL=1 keeps them.
ship_spool() {  # the state directories whose closed query-log files to delete
    [[ -n "${KEEP_SPOOL:-}" ]] && return 0
    local dirs=("$@")
    # Bounded: at most 4 h, and it dies with the bench (cleanup kills its process group).
    setsid timeout 14400 bash -c 'while :; do for d in "$@"; do rm -f "$d"/spool/dns/ready/*.log; done; sleep 0.5; done' \
        ship "${dirs[@]}" >/dev/null 2>&1 &
    pids+=("$!")
}

start_udn udn "$port_log" true
start_udn udn-nolog "$port_nolog" false
extra_targets="127.0.0.1:$port_log,127.0.0.1:$port_nolog" extra_names=udn,udn-nolog
targets=("udn $port_log" "udn-nolog $port_nolog")
if [[ -n "${UDN_BASELINE:-}" ]]; then
    start_udn udn-base $((port_log + 40)) true "$UDN_BASELINE"
    start_udn udn-base-nolog $((port_log + 50)) false "$UDN_BASELINE"
    extra_targets+=",127.0.0.1:$((port_log + 40)),127.0.0.1:$((port_log + 50))"
    extra_names+=",udn-base,udn-base-nolog"
    targets+=("udn-base $((port_log + 40))" "udn-base-nolog $((port_log + 50))")
fi
ship_spool "$run/udn" "$run/udn-base"
echo "bench/dns: udn $udn on 127.0.0.1:$port_log (query log on) and :$port_nolog (off); run dir $run" \
     "${KEEP_SPOOL:+(query-log files kept)}"
if [[ -z "${SKIP_PEERS_PASS:-}" ]]; then
    "$peers_dir/dns-peers.sh" -s "${PEERS:-nsd,knot,gdnsd}" -x "$extra_targets" -z example.test -n "$extra_names" "${args[@]}"
    # The medians above drift with the machine by more than the differences asked about; the
    # ratio to one peer within each repetition does not (bench/dns/paired.py).
    if [[ "$pairing_peer" != none ]]; then
        /usr/bin/python3 "$repo/bench/dns/paired.py" "$peers_out" "$pairing_peer" | tee "$peers_out/paired.md"
    fi
fi

# Pass 2: latency percentiles. The peers harness keeps its servers up (--hold) on its default
# ports; every target gets the harness's dnsperf load and the paced sampler beside it.
if [[ -z "${SKIP_P99:-}" ]]; then
    g++ -O2 -std=c++20 -o "$run/latency_sampler" "$repo/bench/dns/latency_sampler.cpp"
    if [[ "${PEERS:-nsd,knot,gdnsd}" != none ]]; then
        RUN_DIR="$run/peers-hold" setsid "$peers_dir/dns-peers.sh" -s "${PEERS:-nsd,knot,gdnsd}" --hold 3600 -o "$run/hold" \
            >"$run/hold.log" 2>&1 &
        pids+=("$!")
        declare -A peer_port=([nsd]=${PORT_NSD:-5301} [knot]=${PORT_KNOT:-5302} [gdnsd]=${PORT_GDNSD:-5305})
        IFS=, read -r -a peer_list <<< "${PEERS:-nsd,knot,gdnsd}"
        for peer in "${peer_list[@]}"; do
            [[ -n "${peer_port[$peer]:-}" ]] || { echo "bench/dns: no port known for peer $peer" >&2; exit 1; }
            ok=""
            for _ in $(seq 150); do
                dig +short +time=1 +tries=1 @127.0.0.1 -p "${peer_port[$peer]}" www.example.test 2>/dev/null \
                    | grep -q . && { ok=1; break; }
                sleep 0.2
            done
            [[ -n "$ok" ]] || { echo "bench/dns: $peer did not start; see $run/hold.log" >&2; cat "$run/hold.log" >&2; exit 1; }
            targets+=("$peer ${peer_port[$peer]}")
        done
    fi
    sample_s=$((duration > 3 ? duration - 2 : 1))
    echo "bench/dns: p99 pass: ${#targets[@]} targets x {$mixes} x $reps reps, dnsperf ${duration} s, sampler" \
         "${SAMPLE_QPS:-2000} q/s for ${sample_s} s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    mkdir -p "$run/p99" "$run/queries"
    IFS=, read -r -a mix_list <<< "$mixes"
    for mix in "${mix_list[@]}"; do  # the harness's query files (dns-peers.sh emit_queries)
        case "$mix" in
            gslb) for _ in $(seq 100); do echo "gslb.example.test A"; done > "$run/queries/$mix" ;;
            mixed) awk 'BEGIN { n = split("@ www host01 host02 host03 host04 host05 host06 host07 host08 host09 host10 host11 host12 host13 host14 host15 host16 host17 host18 ns1 ns2", h, " "); j = 0
                   for (i = 0; i < 1000; i++) { r = i % 10
                     if (r < 6) { nm = h[(j++ % n) + 1]; print (nm == "@" ? "example.test" : nm ".example.test") " A" }
                     else if (r < 8) print "gslb.example.test A"; else printf "nx-%04d.example.test A\n", i } }' \
                   > "$run/queries/$mix" ;;
            *) echo "bench/dns: unknown mix $mix" >&2; exit 1 ;;
        esac
    done
    for rep in $(seq "$reps"); do
        for mix in "${mix_list[@]}"; do
            for target in "${targets[@]}"; do
                read -r name port <<< "$target"
                out="$run/p99/$name.$mix.$rep"
                timeout -k 5 $((duration + 20)) taskset -c "${LOAD_CPU:-1}" dnsperf -s 127.0.0.1 -p "$port" \
                    -d "$run/queries/$mix" -l "$duration" -c 16 -q 200 -T 1 -t 2 -O suppress=timeout \
                    >"$out.dnsperf" 2>&1 &
                load_pid=$!
                sleep 1
                # Real-time priority so the sampler's own wake-ups do not wait behind dnsperf.
                timeout -k 5 $((duration + 20)) taskset -c "${LOAD_CPU:-1}" chrt -f 10 "$run/latency_sampler" \
                    127.0.0.1 "$port" gslb.example.test "${SAMPLE_QPS:-2000}" "$sample_s" >"$out.sampler"
                wait "$load_pid" || true
                echo "bench/dns: p99 [$rep] $name $mix: $(cat "$out.sampler") dnsperf $(awk '/Queries per second/ {print $4}' "$out.dnsperf") q/s"
            done
        done
    done
    /usr/bin/python3 - "$run/p99" <<'PY'
import pathlib, re, statistics, sys
rows = {}
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.sampler")):
    name, mix, _ = f.name.rsplit(".", 3)[:3]
    fields = dict(zip(*[iter(f.read_text().split())] * 2))
    qps = re.search(r"Queries per second:\s+([\d.]+)", f.with_suffix(".dnsperf").read_text())
    lost = re.search(r"Queries lost:\s+(\d+)", f.with_suffix(".dnsperf").read_text())
    rows.setdefault((name, mix), []).append((float(fields["p50_us"]), float(fields["p99_us"]), float(fields["max_us"]),
        int(fields["lost"]), float(qps.group(1)) if qps else 0.0, int(lost.group(1)) if lost else -1))
print("\n| target | mix | dnsperf q/s | sampled p50 µs | sampled p99 µs (min–max) | sampled max µs | lost (sampler / dnsperf) |")
print("|---|---|---|---|---|---|---|")
for (name, mix), runs in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    med = lambda i: statistics.median(r[i] for r in runs)
    p99 = [r[1] for r in runs]
    print(f"| {name} | {mix} | {med(4):,.0f} | {med(0):.0f} | {med(1):.0f} ({min(p99):.0f}–{max(p99):.0f}) | {med(2):.0f} | "
          f"{sum(r[3] for r in runs)} / {sum(r[5] for r in runs)} |")
print(f"\n(medians over {max(len(r) for r in rows.values())} reps)")
PY
    if [[ "$pairing_peer" != none ]]; then
        /usr/bin/python3 "$repo/bench/dns/paired.py" --p99 "$run/p99" "$pairing_peer"
    fi
fi

[[ -n "${SKIP_MEMORY:-}" ]] && exit 0
echo "bench/dns: latency state for 1M client prefixes"
g++ -O2 -std=c++20 -I"$repo/src" -o "$run/latency_memory" "$repo/bench/dns/latency_memory.cpp" \
    "$repo/src/dns/gslb/latency_table.cpp" "$repo/src/common/net/ip_address.cpp"
taskset -c "${SERVER_CPU:-0}" "$run/latency_memory" 1000000
