#!/usr/bin/env bash
# bench/dns/kernel.sh — how a DNS server uses the kernel under the harness's dnsperf load: system
# calls per query and datagrams per call (perf's syscall tracepoints, counted in the kernel, so
# the server is not slowed the way `strace` slows it), how often its threads are switched out
# ("(switches)": sched_switch of any of its threads), its CPU per query from /proc, and
# optionally a `perf record -g` profile of CPU 0 with the kernel symbols that dominate.
# Start the server first, pinned to CPU 0 (bench/dns/run.sh or dns-peers.sh --hold do).
# Usage: flock /tmp/udn-bench.lock bench/dns/kernel.sh -p PORT -P PID [-m gslb|mixed] [-d SECS] [-g]
set -euo pipefail
port="" pid="" mix=gslb duration=5 profile=""
while getopts "p:P:m:d:g" option; do
    case "$option" in
        p) port="$OPTARG" ;;
        P) pid="$OPTARG" ;;
        m) mix="$OPTARG" ;;
        d) duration="$OPTARG" ;;
        g) profile=1 ;;
        *) echo "usage: $0 -p PORT -P SERVER_PID [-m gslb|mixed] [-d SECS] [-g]" >&2; exit 2 ;;
    esac
done
[[ "$port" =~ ^[0-9]+$ && "$pid" =~ ^[0-9]+$ ]] || { echo "bench/dns: -p PORT and -P PID are required" >&2; exit 2; }
[[ "$duration" =~ ^[0-9]+$ && "$duration" -ge 1 && "$duration" -le 60 ]] || { echo "bench/dns: -d 1..60" >&2; exit 2; }
[[ -d /proc/$pid ]] || { echo "bench/dns: no process $pid" >&2; exit 2; }
run="$(mktemp -d /tmp/udn-bench-kernel.XXXXXX)"
case "$mix" in
    gslb) for _ in $(seq 100); do echo "gslb.example.test A"; done > "$run/queries" ;;
    mixed) awk 'BEGIN { n = split("@ www host01 host02 host03 host04 host05 host06 host07 host08 host09 host10 host11 host12 host13 host14 host15 host16 host17 host18 ns1 ns2", h, " "); j = 0
           for (i = 0; i < 1000; i++) { r = i % 10
             if (r < 6) { nm = h[(j++ % n) + 1]; print (nm == "@" ? "example.test" : nm ".example.test") " A" }
             else if (r < 8) print "gslb.example.test A"; else printf "nx-%04d.example.test A\n", i } }' > "$run/queries" ;;
    *) echo "bench/dns: unknown mix $mix" >&2; exit 2 ;;
esac

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # utime + stime of the whole process
events=()
for call in recvmmsg sendmmsg recvmsg sendmsg recvfrom sendto poll ppoll epoll_wait write; do
    events+=(-e "syscalls:sys_enter_$call")
done
events+=(-e syscalls:sys_exit_recvmmsg -e syscalls:sys_exit_sendmmsg -e sched:sched_switch)

before=$(cpu_ticks)
timeout -k 5 $((duration + 20)) taskset -c "${LOAD_CPU:-1}" dnsperf -s 127.0.0.1 -p "$port" -d "$run/queries" \
    -l "$duration" -c 16 -q 200 -T 1 -t 2 -O suppress=timeout > "$run/dnsperf.txt" 2>&1 &
load=$!
sleep 0.5
# The datagram counts are the exit values of recvmmsg/sendmmsg, so they are recorded (cheap:
# one sample per call) rather than only counted.
timeout -k 5 $((duration + 10)) perf record -q -o "$run/calls.data" -p "$pid" "${events[@]}" -- sleep $((duration - 1)) \
    >/dev/null 2>&1 || true
wait "$load" || true
after=$(cpu_ticks)
answered=$(awk '/Queries completed:/ {print $3}' "$run/dnsperf.txt")
qps=$(awk '/Queries per second:/ {print $4}' "$run/dnsperf.txt")
lost=$(awk '/Queries lost:/ {print $3}' "$run/dnsperf.txt")
echo "dnsperf: $answered answered, $qps q/s, $lost lost; server CPU $(( (after - before) * 10 )) ms" \
     "= $(awk -v t=$((after - before)) -v n="$answered" 'BEGIN { printf "%.2f", t * 10000 / n }') us/query (load average $(cut -d' ' -f1-3 /proc/loadavg))"
perf script -i "$run/calls.data" -F event,trace 2>/dev/null | /usr/bin/python3 -c '
import collections, sys
seconds, qps = float(sys.argv[1]), float(sys.argv[2])
calls, batches = collections.Counter(), {"recvmmsg": [], "sendmmsg": []}
for line in sys.stdin:
    fields = line.split()
    if not fields: continue
    event = fields[0].rstrip(":").split(":")[-1]
    if event.startswith("sys_enter_"): calls[event[10:]] += 1
    elif event == "sched_switch": calls["(switches)"] += 1
    elif event.startswith("sys_exit_") and len(fields) > 1: batches[event[9:]].append(int(fields[-1], 0))
queries = qps * seconds
for call, n in sorted(calls.items()): print(f"  {call:10} {n:9d} calls  {n / queries:.3f} per query")
for call, values in batches.items():
    got = [v for v in values if v > 0]
    if got: print(f"  {call}: {sum(got) / len(got):.1f} datagrams per call that moved any ({len(values) - len(got)} moved none)")
' $((duration - 1)) "$qps"
if [[ -n "$profile" ]]; then
    timeout -k 5 $((duration + 20)) taskset -c "${LOAD_CPU:-1}" dnsperf -s 127.0.0.1 -p "$port" -d "$run/queries" \
        -l "$duration" -c 16 -q 200 -T 1 -t 2 -O suppress=timeout > "$run/dnsperf2.txt" 2>&1 &
    load=$!
    sleep 0.5
    timeout -k 5 $((duration + 10)) perf record -q -o "$run/profile.data" -e cpu-clock -g -p "$pid" \
        -- sleep $((duration - 1)) >/dev/null 2>&1 || true
    wait "$load" || true
    echo "profile of the server (self, top 40): $run/profile.data"
    perf report -i "$run/profile.data" --no-children --sort sym -g none --stdio 2>/dev/null | grep "%" | head -40
fi
echo "run dir: $run"
