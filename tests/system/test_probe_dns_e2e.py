"""End to end on loopback: two origins (Python HTTP servers in this process), `udn probe`,
`udn loadp` for each origin, and `udn dns` ingesting the probe's reports. Stop an origin → DNS
stops handing out its address; start it again → it returns once the probe saw `rise`
successes; a 200 with the wrong content → treated as down; raise an origin's load through its
load agent → answers shift to the other origin."""
import urllib.request

import dns.flags
import dns.message
import dns.query
import pytest

from conftest import loopback_base, run_udn, wait_until
import probe_wire
from test_probe_service import KEY_HEX, Origin

# The origins are Python threads in the test process: on a loaded CI machine a healthy one can
# miss a short timeout twice in a row, fall, and turn "one origin down" into "all down"
# (return_all answers both). A timeout equal to the interval keeps that out of the picture.
INTERVAL_MS, TIMEOUT_MS, FALL, RISE = 500, 500, 2, 3


def e2e_config(base):
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
    timeout_ms = {timeout}
    fall = {fall}
    rise = {rise}
"""
    origins = "".join(origin.format(name=f"mirror-{i}", address=f"{base}.{10 + i}", interval=INTERVAL_MS, timeout=TIMEOUT_MS, fall=FALL,
                                    rise=RISE) for i in (1, 2))
    return f"""
version = 1
[network]
name = "e2e"
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
  name = "both.acme.test"
  kind = "dynamic"
  origins = ["mirror-1", "mirror-2"]
    [customers.domains.policy]
    ttl_s = 1
    answers = 2
    when_all_down = "return_all"
  [[customers.domains]]
  name = "one.acme.test"
  kind = "dynamic"
  origins = ["mirror-1", "mirror-2"]
    [customers.domains.policy]
    ttl_s = 1
    answers = 1
"""


@pytest.fixture
def network(tmp_path, procs):
    base = loopback_base()
    config = tmp_path / "e2e.toml"
    config.write_text(e2e_config(base))
    origins = {i: Origin(f"{base}.{10 + i}") for i in (1, 2)}
    for origin in origins.values():
        origin.start()
    overrides = {}
    for i in (1, 2):
        overrides[i] = tmp_path / f"load-{i}"
        overrides[i].write_text("cpu = 100\nmemory = 100\nswap = 0\ndisk = 100\n")
        procs.udn("loadp", "--config", config, "--bind", f"{base}.{10 + i}", "--override-file", overrides[i],
                  "--state-dir", tmp_path / f"loadp-{i}")
    procs.udn("dns", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
    procs.udn("probe", "--config", config, "--server", "ns1", "--state-dir", tmp_path / "state")
    yield {"base": base, "origins": origins, "overrides": overrides, "config": config}
    for origin in origins.values():
        origin.stop()


def wait_for_answer(network, name, expected, timeout, what):
    """Waits until `name` is answered with `expected`; on timeout the failure shows what the DNS
    server thought (its live `udn admin explain`), so a failure on CI can be diagnosed."""
    try:
        wait_until(lambda: answer(network["base"], name) == expected, timeout=timeout, what=what)
    except AssertionError as timed_out:
        explain = run_udn("admin", "explain", name, "127.0.0.1", "--config", network["config"], "--server", "ns1")
        raise AssertionError(f"{timed_out}; last answer {answer(network['base'], name)}\n"
                             f"{explain.stdout}{explain.stderr}"
                             f"dns: {report_metrics(network['base'], 9153, 'udn_dns_report')}\n"
                             f"probe: {report_metrics(network['base'], 9170, 'report')}") from None


def report_metrics(base, port, prefix):
    try:
        with urllib.request.urlopen(f"http://{base}.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError as error:
        return f"no metrics: {error}"
    return " ".join(line for line in text.splitlines()
                    if (line.startswith(prefix) or f"_{prefix}" in line.split(" ")[0]) and not line.endswith(" 0"))


def answer(base, name):
    query = dns.message.make_query(name, "A")
    query.flags &= ~dns.flags.RD
    try:
        response = dns.query.udp(query, f"{base}.1", port=53, timeout=0.5)
    except Exception:
        return None
    return sorted(item.address for rrset in response.answer for item in rrset)


def test_dead_origin_leaves_the_answer_and_returns_after_rise(network):
    base, origin = network["base"], network["origins"][2]
    both = sorted([f"{base}.11", f"{base}.12"])
    wait_for_answer(network, "both.acme.test", both, timeout=20, what="both origins answered")
    origin.stop()
    stopped_at = probe_wire.now_ms()
    wait_for_answer(network, "both.acme.test", [f"{base}.11"], timeout=10, what="mirror-2 out")
    # fall = 2 checks 500 ms apart, plus report and ingest: about 1 s; generous for loaded CI.
    assert probe_wire.now_ms() - stopped_at < 5000
    origin.start()
    started_at = probe_wire.now_ms()
    wait_for_answer(network, "both.acme.test", both, timeout=10, what="mirror-2 back")
    # Back only after `rise` consecutive successes: at least (rise - 1) intervals after the first.
    assert probe_wire.now_ms() - started_at >= (RISE - 1) * INTERVAL_MS


def test_200_with_wrong_content_is_treated_as_down(network):
    base, origin = network["base"], network["origins"][1]
    both = sorted([f"{base}.11", f"{base}.12"])
    wait_for_answer(network, "both.acme.test", both, timeout=20, what="both origins answered")
    origin.body = b"<html>we are down for maintenance</html>"
    wait_for_answer(network, "both.acme.test", [f"{base}.12"], timeout=30, what="mirror-1 out")
    origin.body = b"ok"
    wait_for_answer(network, "both.acme.test", both, timeout=30, what="mirror-1 back with the right content")


def test_raising_load_through_the_load_agent_shifts_traffic(network):
    base, overrides = network["base"], network["overrides"]
    wait_for_answer(network, "both.acme.test", sorted([f"{base}.11", f"{base}.12"]), timeout=20,
                    what="both origins answered")
    overrides[1].write_text("cpu = 950\nmemory = 100\nswap = 0\ndisk = 100\n")
    wait_until(lambda: all(answer(base, "one.acme.test") == [f"{base}.12"] for _ in range(10)), timeout=30,
               what="answers moving to the less loaded mirror-2")
    overrides[1].write_text("cpu = 50\nmemory = 50\nswap = 0\ndisk = 50\n")
    overrides[2].write_text("cpu = 950\nmemory = 100\nswap = 0\ndisk = 100\n")
    wait_until(lambda: all(answer(base, "one.acme.test") == [f"{base}.11"] for _ in range(10)), timeout=30,
               what="answers moving back to mirror-1")
