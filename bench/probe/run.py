#!/usr/bin/python3
"""bench/probe: how many client resolvers per second one `udn probe` measures, and the probe's
CPU per client, for this build and (with --old) an older binary. Not part of `make test`:

    make build
    /usr/bin/python3 bench/probe/run.py --old /path/to/old/udn [--clients 10000] [--old-clients 1000]

Per binary: `resolvers.cpp` (built here with g++ -O2) answers DNS on port 53 of N consecutive
loopback addresses, pinned to CPU 1, at once, REFUSED (a full round trip for the probe's
dns_query). The probe runs pinned to CPU 0 with the default plan (4 probes 25 ms apart, 500 ms
timeout). A Python "DNS server" asks, in signed latency requests of 64 clients each paced at
--offer clients/s, about all N clients once, and waits for every result. Reported: the time from
the first request to the last result, clients/s = N / that time, the probe's CPU (utime + stime
from /proc) over the same window per client, and the results' median RTT and lossy count (a
probe that drops replies on its own receive queue would show loss here). Each binary gets its
own client count: the thread-per-series probe measures ~200 clients/s, so 10,000 would take it
a minute. Extra arguments after `--` go to the new binary only (e.g. --latency-max-in-flight).
"""
import argparse
import os
import pathlib
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "system"))
import probe_wire  # noqa: E402

KEY_HEX = "6b" * 32
KEY = bytes.fromhex(KEY_HEX)
BATCH = 64
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

CONFIG = """
version = 1
[network]
name = "probe-bench"
domain = "udn.test"
cdn_zone = "cdn.test"
hostmaster = "hostmaster@udn.test"
report_key = "{key}"
[push]
masters = ["ns1"]
[probe]
latency_batch_max = {batch}
[[pops]]
name = "p1"
  [[pops.servers]]
  name = "ns1"
  addresses = ["{address}"]
  roles = ["dns", "probe", "configd"]
"""


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def udp_drops():
    """The machine's UDP receive- and send-buffer drops (/proc/net/snmp): a probe or resolvers that
    cannot keep up lose datagrams here, which the results would show as loss."""
    lines = [line.split() for line in pathlib.Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
    fields = dict(zip(lines[0][1:], (int(v) for v in lines[1][1:])))
    return fields["RcvbufErrors"], fields["SndbufErrors"]


def build_resolvers(directory):
    binary = directory / "resolvers"
    subprocess.run(["g++", "-O2", "-std=c++20", "-o", str(binary), str(REPO / "bench" / "probe" / "resolvers.cpp")],
                   check=True)
    return binary


def ask(sock, endpoint, clients, sequence):
    sock.sendto(probe_wire.seal(KEY, probe_wire.LATENCY_REQUEST, "bench-dns", sequence, probe_wire.now_ms(),
                                probe_wire.latency_request_body(clients)), endpoint)


def receive(sock, results, until):
    """Reads results into `results` (client -> measurement) until the time `until`."""
    while time.monotonic() < until:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            return
        message = probe_wire.open_datagram(KEY, data)
        for measurement in message["measurements"]:
            if measurement["measured_at_ms"]:
                results[measurement["client"]] = measurement


def run_one(udn, resolvers_binary, clients_count, offer, extra, workdir):
    # 127.20-99.x.x: the system tests use 127.100-250.x.x, so a bench never takes their port 53.
    probe_address = f"127.{random.randint(20, 99)}.{random.randint(0, 250)}.1"
    first = f"127.{random.randint(20, 99)}.{random.randint(0, 63)}.10"
    a, b, c, d = (int(x) for x in first.split("."))
    start = (a << 24) | (b << 16) | (c << 8) | d
    clients = [socket.inet_ntoa((start + i).to_bytes(4, "big")) for i in range(clients_count + 1)]
    warm_client, clients = clients[0], clients[1:]

    config = workdir / "network.toml"
    config.write_text(CONFIG.format(key=KEY_HEX, batch=BATCH, address=probe_address))
    resolvers = subprocess.Popen(["taskset", "-c", "1", str(resolvers_binary), first, str(clients_count + 1)],
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)
    probe = None
    try:
        if not resolvers.stdout.readline().startswith("ready"):
            raise RuntimeError("the resolvers did not start")
        log = open(workdir / f"probe-{time.time_ns()}.log", "wb")
        probe = subprocess.Popen(["taskset", "-c", "0", udn, "probe", "--config", str(config), "--server", "ns1",
                                  "--state-dir", str(workdir / "state"), *extra],
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        dns.bind((probe_address.rsplit(".", 1)[0] + ".2", 0))
        dns.settimeout(0.05)
        endpoint = (probe_address, 5302)
        sequence = time.time_ns() // 1000

        warm = {}
        deadline = time.monotonic() + 30
        while warm_client not in warm and time.monotonic() < deadline:
            sequence += 1
            ask(dns, endpoint, [warm_client], sequence)
            receive(dns, warm, time.monotonic() + 0.5)
        if warm_client not in warm:
            raise RuntimeError("the probe never answered; see its log in " + str(workdir))

        results = {}
        drops_before = udp_drops()
        cpu_before = cpu_seconds(probe.pid)
        started = time.monotonic()
        batches = [clients[i:i + BATCH] for i in range(0, len(clients), BATCH)]
        for index, batch in enumerate(batches):
            sequence += 1
            ask(dns, endpoint, batch, sequence)
            # Pace at `offer` clients/s, reading results meanwhile.
            due = started + (index + 1) * BATCH / offer
            receive(dns, results, due)
        deadline = time.monotonic() + clients_count / 100 + 30
        last_count, last_at = len(results), time.monotonic()
        while len(results) < clients_count and time.monotonic() < deadline:
            receive(dns, results, time.monotonic() + 0.2)
            if len(results) != last_count:
                last_count, last_at = len(results), time.monotonic()
        last_at = last_at if len(results) < clients_count else time.monotonic()
        cpu = cpu_seconds(probe.pid) - cpu_before
        drops = tuple(after - before for after, before in zip(udp_drops(), drops_before))
        elapsed = last_at - started
        rtts = [m["rtt_us"] for m in results.values() if m["reachable"]]
        return {
            "clients": clients_count,
            "measured": len(results),
            "seconds": elapsed,
            "per_second": len(results) / elapsed,
            "cpu_seconds": cpu,
            "cpu_us_per_client": cpu * 1e6 / max(len(results), 1),
            "median_rtt_us": statistics.median(rtts) if rtts else 0,
            "lossy": sum(1 for m in results.values() if m["loss_permille"] > 0),
            "unreachable": sum(1 for m in results.values() if not m["reachable"]),
            "udp_drops": drops,
        }
    finally:
        if probe:
            probe.send_signal(signal.SIGTERM)
            try:
                probe.wait(timeout=15)
            except subprocess.TimeoutExpired:
                probe.kill()
                probe.wait()
        resolvers.send_signal(signal.SIGTERM)
        resolvers.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--new", default=str(REPO / "build" / "release" / "udn"))
    parser.add_argument("--old", help="an older udn binary to run beside it")
    parser.add_argument("--clients", type=int, default=10000, help="clients for the new binary")
    parser.add_argument("--old-clients", type=int, default=1000, help="clients for the old binary")
    parser.add_argument("--offer", type=float, default=100000, help="clients per second asked about")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("extra", nargs="*", help="after --: arguments for the new binary's `udn probe`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-probe-") as temporary:
        workdir = pathlib.Path(temporary)
        resolvers = build_resolvers(workdir)
        runs = [("new", args.new, args.clients, args.extra)]
        if args.old:
            runs.append(("old", args.old, args.old_clients, []))
        print(f"load before: {os.getloadavg()}")
        for round_number in range(args.rounds):
            for name, binary, count, extra in runs:
                result = run_one(binary, resolvers, count, args.offer, extra, workdir)
                load = os.getloadavg()[0]
                print(f"round {round_number + 1} {name}: {result['measured']}/{result['clients']} clients in "
                      f"{result['seconds']:.2f} s = {result['per_second']:,.0f} clients/s; probe CPU "
                      f"{result['cpu_seconds']:.2f} s = {result['cpu_us_per_client']:.1f} us/client; median RTT "
                      f"{result['median_rtt_us']:.0f} us; {result['lossy']} with loss, {result['unreachable']} "
                      f"unreachable; UDP drops {result['udp_drops'][0]} receive, {result['udp_drops'][1]} send; load {load:.2f}", flush=True)


if __name__ == "__main__":
    main()
