"""The latency probe inside `udn probe` on loopback: a Python "DNS server" sends a signed
latency request with IPv4 client addresses (one with a resolver listening on port 53, one
without) and gets signed results back; forged and replayed requests get no answer."""
import socket
import time

import probe_wire
from conftest import loopback_base, wait_until
from test_probe_service import KEY, network_config


def ask(sock, probe_endpoint, clients, sequence, key=KEY):
    sock.sendto(probe_wire.seal(key, probe_wire.LATENCY_REQUEST, "dns-test", sequence, probe_wire.now_ms(),
                                probe_wire.latency_request_body(clients)), probe_endpoint)


def collect(sock, wanted, timeout):
    results, deadline = {}, time.monotonic() + timeout
    while len(results) < wanted and time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            continue
        message = probe_wire.open_datagram(KEY, data)
        assert message["type"] == probe_wire.LATENCY_RESULT and message["pop"] == "p1"
        for measurement in message["measurements"]:
            results[measurement["client"]] = measurement
    return results


def test_latency_requests_are_measured_and_answered(tmp_path, procs):
    base = loopback_base()
    config = tmp_path / "network.toml"
    config.write_text(network_config(base))
    # A "resolver" that answers any query, on port 53 of its own loopback address.
    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resolver.bind((f"{base}.53", 53))
    resolver.settimeout(0.05)
    probe = procs.udn("probe", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((f"{base}.2", 0))
    dns.settimeout(0.1)
    probe_endpoint = (f"{base}.1", 5302)

    def answer_queries():
        try:
            query, source = resolver.recvfrom(512)
            resolver.sendto(query[:2] + bytes([0x81, 0x85]) + query[4:], source)
        except socket.timeout:
            pass

    sequence = int(time.time() * 1e6)
    results = {}

    def measured():
        nonlocal sequence
        sequence += 1
        ask(dns, probe_endpoint, [f"{base}.53", f"{base}.54"], sequence)
        for _ in range(5):
            answer_queries()
        results.update(collect(dns, 2, 0.5))
        return len(results) == 2

    wait_until(measured, timeout=20, interval=0.1, what="latency results for both clients")
    assert results[f"{base}.53"]["reachable"] and results[f"{base}.53"]["method"] == "dns_query"
    # No resolver there: DNS gets a port-unreachable, the TCP connect to port 53 a reset.
    assert results[f"{base}.54"]["reachable"] and results[f"{base}.54"]["method"] == "tcp_connect"
    assert all(0 < r["rtt_us"] < 1_000_000 for r in results.values())

    # Forged (wrong key) and replayed requests are dropped without an answer.
    ask(dns, probe_endpoint, [f"{base}.55"], sequence + 1, key=b"\x01" * 32)
    ask(dns, probe_endpoint, [f"{base}.56"], sequence)
    late = collect(dns, 3, 1.0)
    assert f"{base}.55" not in late and f"{base}.56" not in late
    assert probe.alive()
    resolver.close()
