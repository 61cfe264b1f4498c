"""`udn probe` and `udn loadp` on loopback: two origins (Python HTTP servers in this process), a
probe, a load agent, and a Python receiver that verifies every report's HMAC (probe_wire.py).
Checks: reports flow to the dns-role receiver; a stopped origin goes down after `fall` failures
and comes back after `rise` successes; a 200 with the wrong content is down; load set through
the load agent appears in the reports; a bad reload keeps the probe running."""
import http.server
import pathlib
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import loopback_base, wait_until
import probe_wire

KEY_HEX = "8e0c" * 16
KEY = bytes.fromhex(KEY_HEX)
INTERVAL_MS, FALL, RISE = 200, 2, 3


def network_config(base):
    origin = """
  [[customers.origins]]
  name = "{name}"
  address = "{address}"
  port = 8080
    [customers.origins.check]
    type = "http"
    path = "/health"
    expect_substring = "ok"
    interval_ms = {interval}
    timeout_ms = 150
    fall = {fall}
    rise = {rise}
"""
    origins = "".join(origin.format(name=f"mirror-{i}", address=f"{base}.{9 + i}", interval=INTERVAL_MS,
                                    fall=FALL, rise=RISE) for i in (1, 2))
    return f"""
version = 1
[network]
name = "probe-test"
domain = "udn.test"
cdn_zone = "cdn.test"
hostmaster = "hostmaster@udn.test"
report_key = "{KEY_HEX}"
[push]
masters = ["ns1"]
[[pops]]
name = "p1"
  [[pops.servers]]
  name = "ns1"
  addresses = ["{base}.1"]
  roles = ["dns", "probe", "configd"]
[[customers]]
name = "acme"
zones = ["acme.test"]
{origins}
  [[customers.domains]]
  name = "www.acme.test"
  kind = "dynamic"
  origins = ["mirror-1", "mirror-2"]
"""


class Origin:
    """A tiny HTTP origin whose /health body can be changed, stopped and started again."""

    def __init__(self, address):
        self.address, self.body, self.server = address, b"ok", None

    def start(self):
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(origin.body)))
                self.end_headers()
                self.wfile.write(origin.body)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer((self.address, 8080), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Receiver:
    """Collects and verifies report datagrams on the dns server's reports port."""

    def __init__(self, address, port=5301):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.1)
        self.reports, self.rejected, self.running = [], 0, True
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            try:
                message = probe_wire.open_datagram(KEY, data)
            except ValueError:
                self.rejected += 1
                continue
            message["received_ms"] = probe_wire.now_ms()
            with self.lock:
                self.reports.append(message)

    def about(self, name, since=0):
        with self.lock:
            return [r for r in self.reports if r.get("name") == name and r["received_ms"] >= since]

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def network(tmp_path, procs):
    base = loopback_base()
    config = tmp_path / "network.toml"
    config.write_text(network_config(base))
    origins = {name: Origin(f"{base}.{9 + i}") for i, name in ((1, "mirror-1"), (2, "mirror-2"))}
    for origin in origins.values():
        origin.start()
    receiver = Receiver(f"{base}.1")
    probe = procs.udn("probe", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
    yield {"base": base, "config": config, "origins": origins, "receiver": receiver, "probe": probe,
           "tmp": tmp_path}
    receiver.close()
    for origin in origins.values():
        origin.stop()


def latest_state(receiver, name, since=0):
    reports = receiver.about(name, since)
    return reports[-1]["state"] if reports else None


def test_reports_are_signed_timestamped_and_complete(network):
    receiver = network["receiver"]
    wait_until(lambda: len(receiver.about("mirror-1")) >= 3 and len(receiver.about("mirror-2")) >= 3,
               timeout=15, what="reports about both origins")
    report = receiver.about("mirror-1")[-1]
    assert report["type"] == probe_wire.SERVICE_REPORT and report["sender"] == "ns1"
    assert report["customer"] == "acme" and report["target"] == "origin" and report["check"] == "http"
    assert report["state"] == "up" and report["result"] == "ok" and report["code"] == 200
    timing = report["timing_us"]
    assert 0 < timing["connect"] <= timing["first_byte"] <= timing["total"]
    assert abs(report["timestamp_ms"] - report["received_ms"]) < 2000
    sequences = [r["sequence"] for r in receiver.about("mirror-1")]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert receiver.rejected == 0
    assert (network["tmp"] / "state" / "run" / "probe.pid").read_text().strip() == str(network["probe"].pid)
    metrics = requests.get(f"http://{network['base']}.1:9170/metrics", timeout=5).text
    checks = [line for line in metrics.splitlines() if line.startswith("udn_probe_checks_total")]
    assert checks and float(checks[0].split()[-1]) >= 6
    assert 'udn_probe_latency_attempts_total{method="dns_query"}' in metrics
    assert requests.get(f"http://{network['base']}.1:9170/healthz", timeout=5).status_code == 200


def test_stopped_origin_goes_down_then_returns_after_rise(network):
    receiver, origin = network["receiver"], network["origins"]["mirror-2"]
    wait_until(lambda: latest_state(receiver, "mirror-2") == "up", timeout=15, what="mirror-2 up")
    stopped_at = probe_wire.now_ms()
    origin.stop()
    wait_until(lambda: latest_state(receiver, "mirror-2", stopped_at) == "down", timeout=10, what="mirror-2 down")
    after_stop = receiver.about("mirror-2", stopped_at)
    failures_before_down = next(i for i, r in enumerate(after_stop) if r["state"] == "down")
    assert after_stop[failures_before_down]["result"] == "connect_failed"
    assert failures_before_down <= FALL, "down after at most `fall` failed checks"
    assert latest_state(receiver, "mirror-1") == "up", "the other origin is unaffected"

    restarted_at = probe_wire.now_ms()
    origin.start()
    wait_until(lambda: latest_state(receiver, "mirror-2", restarted_at) == "up", timeout=10, what="mirror-2 up again")
    after_start = receiver.about("mirror-2", restarted_at)
    first_up = next(i for i, r in enumerate(after_start) if r["state"] == "up")
    successes_while_down = [r for r in after_start[:first_up] if r["result"] == "ok"]
    assert len(successes_while_down) == RISE - 1, "up exactly at the `rise`-th success"


def test_200_with_wrong_content_is_down(network):
    receiver, origin = network["receiver"], network["origins"]["mirror-1"]
    wait_until(lambda: latest_state(receiver, "mirror-1") == "up", timeout=15, what="mirror-1 up")
    changed_at = probe_wire.now_ms()
    origin.body = b"<html>maintenance</html>"
    wait_until(lambda: latest_state(receiver, "mirror-1", changed_at) == "down", timeout=10, what="mirror-1 down")
    report = receiver.about("mirror-1", changed_at)[-1]
    assert report["code"] == 200 and report["result"] == "content_mismatch"


def test_load_from_the_load_agent_reaches_the_reports(network, procs):
    base, receiver = network["base"], network["receiver"]
    override = network["tmp"] / "load-override"
    override.write_text("cpu = 930\nconnections = 321\n")
    procs.udn("loadp", "--config", network["config"], "--bind", f"{base}.10", "--override-file", override,
              "--state-dir", network["tmp"] / "loadp-state")
    wait_until(lambda: any(r["load"] and r["load"]["cpu"] == 930 for r in receiver.about("mirror-1")),
               timeout=15, what="load in mirror-1's reports")
    report = [r for r in receiver.about("mirror-1") if r["load"]][-1]
    assert report["load"]["connections"] == 321 and 0 < report["load"]["memory"] <= 1000
    assert not any(r["load"] for r in receiver.about("mirror-2")), "mirror-2 has no load agent"
    changed_at = probe_wire.now_ms()
    override.write_text("cpu = 50\n")
    wait_until(lambda: any(r["load"] and r["load"]["cpu"] == 50 for r in receiver.about("mirror-1", changed_at)),
               timeout=10, what="the new load")


def test_bad_reload_keeps_probing_and_sigterm_stops_cleanly(network):
    receiver, probe, config = network["receiver"], network["probe"], network["config"]
    wait_until(lambda: receiver.about("mirror-1"), timeout=15, what="first report")
    config.write_text("this is not [ valid toml")
    probe.signal(signal.SIGHUP)
    time.sleep(0.5)
    since = probe_wire.now_ms()
    wait_until(lambda: len(receiver.about("mirror-1", since)) >= 2, timeout=5, what="reports after a bad reload")
    assert probe.alive()
    assert "rejected" in probe.log(), probe.log()
    assert probe.stop() == 0
