"""`udn up`: a small network on random loopback addresses starts, endpoints.json describes it,
a killed child is restarted, and SIGTERM leaves no process behind."""
import json
import os
import random
import signal

import requests

from conftest import REPO, loopback_base, wait_for_tcp, wait_until

CONFIG = """
version = 1

[network]
name = "uptest"
domain = "udn.test"
cdn_zone = "cdn.test"
hostmaster = "hostmaster@udn.test"
report_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

[ports]
dns = {dns}
http = {http}
dns_admin = {admin}

[push]
masters = ["s1"]

[[pops]]
name = "p1"

  [[pops.servers]]
  name = "s1"
  addresses = ["{base}.1"]
  roles = ["dns", "configd"]

  [[pops.servers]]
  name = "s2"
  addresses = ["{base}.2"]
  roles = ["cache"]

[[customers]]
name = "c1"
zones = ["c1.test"]

  [[customers.origins]]
  name = "o1"
  address = "{base}.11"
  port = {origin_port}

  [[customers.origins]]
  name = "o2"
  address = "{base}.12"
  port = {origin_port}

  [[customers.domains]]
  name = "www.c1.test"
  kind = "dynamic"
  origins = ["o1", "o2"]

  [[customers.domains]]
  name = "c1.cdn.test"
  kind = "static"
  origins = ["o1"]
"""


def start_time(pid):
    """The process's start time (clock ticks since boot), or None if it is gone or a zombie.
    Compared with the value recorded earlier so that a recycled PID never counts as ours."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] == "Z" else int(fields[19])


def alive(pid, started=None):
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def read_endpoints(path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def test_up_runs_restarts_and_stops_cleanly(procs, tmp_path):
    base = loopback_base()
    origin_port = random.randint(20000, 30000)
    config = tmp_path / "net.toml"
    config.write_text(CONFIG.format(base=base, dns=random.randint(30001, 40000), http=random.randint(40001, 50000),
                                    admin=random.randint(50001, 60000), origin_port=origin_port))
    state = tmp_path / "state"
    up = procs.udn("up", config, "--state-dir", state, "--site", REPO / "examples" / "site")
    endpoints_path = state / "endpoints.json"

    def origins_running():
        assert up.alive(), up.log()
        data = read_endpoints(endpoints_path)
        if not data:
            return None
        origins = [p for p in data["processes"] if p["role"] == "origin"]
        return data if len(origins) == 2 and all(p["pid"] for p in origins) else None

    data = wait_until(origins_running, timeout=60, what="both origins in endpoints.json")
    wait_until(lambda: str(endpoints_path) in up.log(), timeout=10, what="endpoints.json path printed")
    assert data["state_dir"] == str(state)
    assert {d["name"]: d["kind"] for d in data["domains"]} == {"www.c1.test": "dynamic", "c1.cdn.test": "static"}
    by_name = {p["name"]: p for p in data["processes"]}
    assert set(by_name) == {"s1/dns", "s1/configd", "s2/cache", "origin/o1", "origin/o2"}
    assert by_name["s1/dns"]["pop"] == "p1" and by_name["s1/dns"]["addresses"] == [f"{base}.1"]
    assert by_name["s1/dns"]["admin"].startswith(f"{base}.1:")
    assert (state / "nodes" / "s1" / "configd" / "current.toml").read_text() == config.read_text()

    # The origins really serve, on the addresses endpoints.json gives.
    for name, last in (("origin/o1", 11), ("origin/o2", 12)):
        assert by_name[name]["addresses"] == [f"{base}.{last}"]
        wait_for_tcp(f"{base}.{last}", origin_port, timeout=30)
        reply = requests.get(f"http://{base}.{last}:{origin_port}/health", timeout=15)
        assert reply.text == "ok\n"

    seen = {p["pid"]: start_time(p["pid"]) for p in data["processes"] if p["pid"]}

    # A killed child comes back with a new pid, and endpoints.json follows.
    victim = by_name["origin/o1"]["pid"]
    os.kill(victim, signal.SIGKILL)

    def restarted():
        current = read_endpoints(endpoints_path)
        pid = current and {p["name"]: p["pid"] for p in current["processes"]}["origin/o1"]
        return pid if pid and pid != victim and alive(pid) else None

    wait_until(restarted, timeout=60, what="origin/o1 restarted")
    wait_for_tcp(f"{base}.11", origin_port, timeout=30)
    assert "restarted origin/o1" in up.log()
    for p in read_endpoints(endpoints_path)["processes"]:
        if p["pid"] and p["pid"] not in seen:
            seen[p["pid"]] = start_time(p["pid"])

    up.signal(signal.SIGTERM)
    up.popen.wait(timeout=30)
    assert up.popen.returncode == 0, up.log()
    leftovers = [pid for pid, started in seen.items() if started is not None and alive(pid, started)]
    assert not leftovers, (leftovers, up.log())
    assert "every process stopped" in up.log()
    final = read_endpoints(endpoints_path)
    assert all(p["pid"] is None for p in final["processes"])
