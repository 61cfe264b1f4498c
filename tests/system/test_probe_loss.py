"""Packet loss as a measured GSLB input, end to end on loopback: real `udn probe` and `udn dns`,
a client resolver emulated in Python that drops every 2nd query it gets, and two origins with
DNS checks, one of which drops every 2nd check. The latency probe measures the client's loss
(4 probes per measurement: 2 answered), the service probe each origin's loss over its last 20
checks, and DNS scores the path loss 1 - (1 - server)(1 - client): `udn admin explain` shows
0.75 via the lossy origin and 0.50 via the clean one, and answers go to the clean one. A
version-1 report (a probe not yet upgraded) is still accepted; an unknown version is counted."""
import re
import socket
import threading
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rrset

import probe_wire
from conftest import loopback_base, run_udn, wait_until
from test_probe_service import KEY, KEY_HEX

ORIGIN_PORT = 5353


class DroppingDns:
    """A UDP DNS responder that drops every 2nd query it receives (when `drop_every_2nd`) and
    answers the rest: with `answer` as an A record when given, else REFUSED (a resolver that
    does not serve us, which still proves the round trip)."""

    def __init__(self, address, port, drop_every_2nd, answer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.05)
        self.drop_every_2nd, self.answer = drop_every_2nd, answer
        self.received = 0
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping:
            try:
                data, source = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            self.received += 1
            if self.drop_every_2nd and self.received % 2 == 0:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            if self.answer:
                question = query.question[0]
                response.answer.append(dns.rrset.from_text(question.name, 1, "IN", "A", self.answer))
            else:
                response.set_rcode(dns.rcode.REFUSED)
            self.sock.sendto(response.to_wire(), source)

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def loss_config(base):
    origin = """
  [[customers.origins]]
  name = "{name}"
  address = "{address}"
  port = {port}
    [customers.origins.check]
    type = "dns"
    query_name = "health.acme.test"
    interval_ms = 150
    timeout_ms = 120
    fall = 3
    rise = 1
"""
    origins = "".join(origin.format(name=name, address=f"{base}.{host}", port=ORIGIN_PORT)
                      for name, host in (("lossy", 11), ("clean", 12)))
    # Loopback latencies are sub-millisecond noise, so latency does not score here: the unit
    # tests cover loss against latency; this test is about the measured loss reaching the score.
    return f"""
version = 1
[network]
name = "loss"
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
  [[pops.servers]]
  name = "old-probe"
  addresses = ["{base}.2"]
  roles = ["logs"]
[[customers]]
name = "acme"
zones = ["acme.test"]
{origins}
  [[customers.origins]]
  name = "unchecked"
  address = "{base}.13"
    [customers.origins.check]
    type = "none"
  [[customers.domains]]
  name = "www.acme.test"
  kind = "dynamic"
  origins = ["lossy", "clean"]
    [customers.domains.policy]
    ttl_s = 1
    answers = 1
    weight_latency = 0
    weight_loss = 1
  [[customers.domains]]
  name = "old.acme.test"
  kind = "dynamic"
  origins = ["unchecked"]
"""


def ask_from(resolver, base, name):
    query = dns.message.make_query(name, "A")
    try:
        response = dns.query.udp(query, f"{base}.1", port=53, timeout=0.5, source=resolver)
    except Exception:
        return None
    return sorted(item.address for rrset in response.answer for item in rrset)


def explain(config, name, client):
    result = run_udn("admin", "explain", name, client, "--config", config, "--server", "ns1")
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(text, label):
    return next((line for line in text.splitlines() if line.startswith(label)), "")


def metrics(base, port):
    with urllib.request.urlopen(f"http://{base}.1:{port}/metrics", timeout=2) as response:
        return response.read().decode()


def metric(text, name):
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.split()[-1])
    return None


def test_measured_loss_reaches_explain_and_the_decision(tmp_path, procs):
    base = loopback_base()
    config = tmp_path / "loss.toml"
    config.write_text(loss_config(base))
    resolver_address = f"{base}.50"
    servers = [DroppingDns(resolver_address, 53, drop_every_2nd=True),
               DroppingDns(f"{base}.11", ORIGIN_PORT, drop_every_2nd=True, answer=f"{base}.11"),
               DroppingDns(f"{base}.12", ORIGIN_PORT, drop_every_2nd=False, answer=f"{base}.12")]
    try:
        procs.udn("dns", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
        procs.udn("probe", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
        # A query from the resolver makes DNS ask the POP's latency probe to measure it.
        wait_until(lambda: ask_from(resolver_address, base, "www.acme.test") is not None, timeout=15,
                   what="udn dns answering")

        lossy = clean = ""

        def paths_measured():
            nonlocal lossy, clean
            text = explain(config, "www.acme.test", resolver_address)
            lossy, clean = row(text, "origin lossy"), row(text, "origin clean")
            # 20-check windows full (alternating: exactly 10 lost) and the client measured.
            return "p1: srv 0.50 cli 0.50" in lossy and "p1: srv 0.00 cli 0.50" in clean

        wait_until(paths_measured, timeout=20, interval=0.3, what="both paths' loss in explain")
        assert " 0.75 " in lossy, lossy  # 1 - (1 - 0.5)(1 - 0.5)
        assert " 0.50 " in clean, clean
        # A lost check's time is its timeout (120 ms), not a round trip: it must not become the latency.
        assert float(re.search(r"([0-9.]+)ms", lossy).group(1)) < 60, lossy
        assert all(ask_from(resolver_address, base, "www.acme.test") == [f"{base}.12"] for _ in range(10))

        # The client was measured with 4 probes of which the resolver answered 2.
        probe_metrics = metrics(base, 9170)
        assert metric(probe_metrics, 'udn_probe_latency_attempts_total{method="dns_query"}') == 4, probe_metrics
        assert metric(probe_metrics, 'udn_probe_latency_answers_total{method="dns_query"}') == 2, probe_metrics

        # Mixed versions: a version-1 report (a probe not yet upgraded) still counts, its loss
        # the old estimate (a timed-out check = 1, marked ~); a future version is counted.
        key = KEY
        sequence = int(time.time() * 1e6)
        v1_body = (bytes([1]) + probe_wire.str8("acme") + probe_wire.str8("unchecked") + bytes([4, 1, 1]) +
                   (0).to_bytes(2, "big") + bytes(20) + bytes([0]) + probe_wire.str8("timeout"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(probe_wire.seal(key, probe_wire.SERVICE_REPORT, "old-probe", sequence, probe_wire.now_ms(),
                                          v1_body, version=1), (f"{base}.1", 5301))
            sender.sendto(probe_wire.seal(key, probe_wire.SERVICE_REPORT, "old-probe", sequence + 1,
                                          probe_wire.now_ms(), v1_body, version=3), (f"{base}.1", 5301))
        wait_until(lambda: "p1: srv~1.00 cli 0.50" in row(explain(config, "old.acme.test", resolver_address),
                                                           "origin unchecked"),
                   timeout=5, what="the version-1 report in explain")
        wait_until(lambda: metric(metrics(base, 9153), "udn_dns_reports_bad_version") == 1, timeout=5,
                   what="the unknown version counted")
    finally:
        for server in servers:
            server.stop()
