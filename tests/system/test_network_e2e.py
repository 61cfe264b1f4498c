"""The whole product on one machine: `udn up` runs DNS, probes, load agents and caches of two POPs
plus two mirrored origins; a client resolves the dynamic name to an origin and the static name to
a POP cache, downloads through the cache (MISS then HIT), and when an origin freezes, the probes
notice and DNS stops handing it out."""
import json
import os
import signal

import dns.message
import dns.query
import dns.rdatatype
import requests

from conftest import REPO, loopback_base, wait_until

CONFIG = """
version = 1

[network]
name = "e2e"
domain = "udn.test"
cdn_zone = "cdn.test"
hostmaster = "hostmaster@udn.test"
report_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

[ports]
dns = 5353
http = 8088

[push]
masters = ["a-ns"]

[[pops]]
name = "pop-a"
region = "eu"

  [[pops.servers]]
  name = "a-ns"
  addresses = ["{base}.1"]
  roles = ["dns", "probe", "configd", "loadp"]
  forwards_to = ["b-ns"]

  [[pops.servers]]
  name = "a-cache"
  addresses = ["{base}.2"]
  roles = ["cache", "loadp"]

[[pops]]
name = "pop-b"
region = "us"

  [[pops.servers]]
  name = "b-ns"
  addresses = ["{base}.3"]
  roles = ["dns", "probe", "configd", "loadp"]

  [[pops.servers]]
  name = "b-cache"
  addresses = ["{base}.4"]
  roles = ["cache", "loadp"]

[[coverage]]
client = "127.0.0.0/8"
pop = "pop-a"

[[customers]]
name = "shop"
zones = ["shop.test"]

{origins}
  [[customers.domains]]
  name = "www.shop.test"
  kind = "dynamic"
  origins = ["m1", "m2"]
    [customers.domains.policy]
    ttl_s = 5

  [[customers.domains]]
  name = "shop.cdn.test"
  kind = "static"
  path_form = true
  origins = ["m1", "m2"]
"""


# One mirror; checked every 300 ms, down after 2 failures, so a frozen origin leaves DNS within ~1 s.
ORIGIN = """
  [[customers.origins]]
  name = "{name}"
  address = "{address}"
  port = 8080
    [customers.origins.check]
    path = "/health"
    expect_substring = "ok"
    interval_ms = 300
    timeout_ms = 250
    fall = 2
    rise = 2
"""


def ask(server, name, rdtype="A"):
    query = dns.message.make_query(name, rdtype)
    response = dns.query.udp(query, server, port=5353, timeout=2)
    return response, sorted(item.address for rrset in response.answer for item in rrset
                            if rrset.rdtype == dns.rdatatype.A)


def test_dynamic_and_static_names_end_to_end(procs, tmp_path):
    base = loopback_base()
    config = tmp_path / "e2e.toml"
    origins_toml = "".join(ORIGIN.format(name=name, address=f"{base}.{host}") for name, host in (("m1", 11), ("m2", 12)))
    config.write_text(CONFIG.format(base=base, origins=origins_toml))
    state = tmp_path / "state"
    up = procs.udn("up", config, "--state-dir", state, name="up")
    endpoints_path = state / "endpoints.json"
    wait_until(endpoints_path.exists, 30, what="endpoints.json")
    origins = {f"{base}.11", f"{base}.12"}
    caches = {f"{base}.2", f"{base}.4"}
    dns_server = f"{base}.1"

    def resolves_www():
        try:
            return ask(dns_server, "www.shop.test")[1]
        except Exception:
            return None

    answer = wait_until(resolves_www, 60, 0.2, what="DNS answering www.shop.test")
    assert set(answer) <= origins, up.log()

    response, static_answer = ask(dns_server, "shop.cdn.test")
    assert static_answer and set(static_answer) <= caches, response

    # Download through the POP cache the DNS chose: MISS, then HIT.
    cache = static_answer[0]
    url = f"http://{cache}:8088/www.shop.test/index.html"
    headers = {"Host": "shop.cdn.test"}
    first = wait_until(lambda: _get(url, headers), 30, 0.2, what="the cache serving")
    origin_page = (REPO / "examples/site/index.html").read_bytes()
    assert first.content == origin_page
    second = requests.get(url, headers=headers, timeout=5)
    assert second.status_code == 200
    assert "hit" in second.headers.get("Cache-Status", "").lower(), second.headers

    # Both healthy mirrors are handed out (equal weights), so the check below is meaningful.
    def both_mirrors_seen():
        seen = set()
        for _ in range(40):
            seen.update(resolves_www() or [])
        return seen == origins
    wait_until(both_mirrors_seen, 20, 0.2, what="DNS to hand out both healthy mirrors")

    # Freeze one origin (SIGSTOP: the supervisor does not see a crash, probes see timeouts).
    endpoints = json.loads(endpoints_path.read_text())
    frozen = next(p for p in endpoints["processes"] if p["role"] == "origin" and p["addresses"][0] == f"{base}.11")
    signal_pid = frozen["pid"]
    os.kill(signal_pid, signal.SIGSTOP)
    try:
        def only_m2():
            answers = set()
            for _ in range(10):
                answers.update(resolves_www() or [])
            return answers == {f"{base}.12"}
        wait_until(only_m2, 20, 0.3, what="DNS to stop handing out the frozen origin")
    finally:
        os.kill(signal_pid, signal.SIGCONT)

    up.signal(signal.SIGTERM)
    assert up.popen.wait(timeout=30) == 0


def _get(url, headers):
    try:
        response = requests.get(url, headers=headers, timeout=5)
    except requests.RequestException:
        return None
    return response if response.status_code == 200 else None
