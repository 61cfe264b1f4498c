"""Many clients at once (issues 3/5): 200 client resolvers on 200 loopback addresses, each
answering every query 200 ms late, all asked about in one burst. The event-driven probe keeps
every series in flight together, so all 200 results arrive about one series (75 ms of spacing
+ 200 ms) after the request; a thread-per-series probe with 16 workers needed 13 rounds of it
(> 3.5 s). Its open files do not grow with the clients: one DNS socket serves every series."""
import heapq
import os
import selectors
import socket
import threading
import time

from conftest import loopback_base, wait_until
from test_probe_latency import ask, collect
from test_probe_service import network_config

CLIENTS = 200
DELAY_S = 0.2


class SlowResolvers:
    """UDP port 53 on each address, answering every query REFUSED after DELAY_S."""

    def __init__(self, addresses):
        self.selector = selectors.DefaultSelector()
        self.sockets = []
        for address in addresses:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((address, 53))
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.sockets.append(sock)
        self.queries = 0
        self.due = []  # (when, sequence, socket, reply, destination)
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping:
            timeout = 0.05 if not self.due else max(0.0, min(0.05, self.due[0][0] - time.monotonic()))
            for key, _ in self.selector.select(timeout):
                while True:
                    try:
                        query, source = key.fileobj.recvfrom(512)
                    except BlockingIOError:
                        break
                    self.queries += 1
                    reply = query[:2] + bytes([0x81, 0x85]) + query[4:]
                    heapq.heappush(self.due, (time.monotonic() + DELAY_S, self.queries, key.fileobj, reply, source))
            while self.due and self.due[0][0] <= time.monotonic():
                _, _, sock, reply, destination = heapq.heappop(self.due)
                sock.sendto(reply, destination)

    def stop(self):
        self.stopping = True
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_two_hundred_clients_are_measured_together(tmp_path, procs):
    base = loopback_base()
    config = tmp_path / "network.toml"
    config.write_text(network_config(base))
    clients = [f"{base}.{20 + i}" for i in range(CLIENTS)]
    resolvers = SlowResolvers([f"{base}.19", *clients])
    try:
        probe = procs.udn("probe", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state",
                          "--latency-timeout-ms", "1500")
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind((f"{base}.2", 0))
        dns.settimeout(0.05)
        probe_endpoint = (f"{base}.1", 5302)
        sequence = int(time.time() * 1e6)

        # Warm up: the probe is up and measuring once one client's result comes back.
        def warm():
            nonlocal sequence
            sequence += 1
            ask(dns, probe_endpoint, [f"{base}.19"], sequence)
            return collect(dns, 1, 1.0)

        wait_until(warm, timeout=20, interval=0.1, what="the probe's first latency result")
        files_idle = open_files(probe.pid)

        started = time.monotonic()
        for batch in range(0, CLIENTS, 50):
            sequence += 1
            ask(dns, probe_endpoint, clients[batch:batch + 50], sequence)
        time.sleep(DELAY_S / 2)  # every series in flight, none answered yet
        files_busy = open_files(probe.pid)
        results = collect(dns, CLIENTS, 3.0)
        elapsed = time.monotonic() - started

        assert len(results) == CLIENTS, f"{len(results)} of {CLIENTS} results within 3 s"
        # One series of 4 probes takes 75 ms + 200 ms here; 16 threads would need 13 of them.
        assert elapsed < 1.5, f"200 clients took {elapsed:.2f} s"
        for client in clients:
            measured = results[client]
            assert measured["reachable"] and measured["method"] == "dns_query", measured
            assert measured["loss_permille"] == 0, measured
            assert 0.9 * DELAY_S * 1e6 <= measured["rtt_us"] < 1.5e6, measured
        assert files_busy - files_idle <= 2, f"open files went from {files_idle} to {files_busy} during the burst"
        assert resolvers.queries >= 1 + 4 * CLIENTS
        assert probe.alive()
    finally:
        resolvers.stop()
