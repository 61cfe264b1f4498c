"""Issue 3's GeoIP fallback on the real binary: while latency to a client is unknown, ECS
subnets of two countries get the caches of the POPs whose `geo` lists their country (dig and
dnspython), explain says so, a new database file is picked up on SIGHUP, and `udn check`
rejects a database that is missing or not a MaxMind DB, naming the line."""
import os
import re
import signal
import socket
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.query

import mmdb_writer
from conftest import free_port, loopback_base, run_udn, wait_until

GERMANY = "198.51.100.0"
USA = "203.0.113.0"


def network_config(base, database, dns_port=53, admin_port=9153):
    return f"""
version = 1
[network]
name = "t"
domain = "udn.example"
cdn_zone = "cdn.example"
hostmaster = "hostmaster@udn.example"
report_key = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
geoip_database = "{database}"
[ports]
dns = {dns_port}
dns_admin = {admin_port}
reports = {free_port(f"{base}.1", kind=socket.SOCK_DGRAM)}
latency = {free_port(f"{base}.1", kind=socket.SOCK_DGRAM)}
[[pops]]
name = "eu"
geo = ["DE", "Europe"]
  [[pops.servers]]
  name = "eu-ns1"
  addresses = ["{base}.1"]
  roles = ["dns", "probe"]
  [[pops.servers]]
  name = "eu-cache1"
  addresses = ["{base}.2"]
  roles = ["cache"]
[[pops]]
name = "us"
geo = ["US", "North America"]
  [[pops.servers]]
  name = "us-cache1"
  addresses = ["{base}.12"]
  roles = ["cache"]
[[customers]]
name = "acme"
zones = ["acme.example"]
  [[customers.origins]]
  name = "m1"
  address = "{base}.101"
  [[customers.domains]]
  name = "acme.cdn.example"
  kind = "static"
  origins = ["m1"]
"""


def write_database(path, germany_is):
    """GERMANY's /24 is in Germany (or, to test reloads, `germany_is`); USA's /24 in the USA."""
    next_path = f"{path}.next"
    mmdb_writer.write(next_path, {f"{GERMANY}/24": germany_is, f"{USA}/24": "NA/US"})
    os.rename(next_path, path)  # how operators install a new database: never rewrite it in place


def ask(base, port, subnet):
    query = dns.message.make_query("acme.cdn.example", "A", use_edns=0, options=[dns.edns.ECSOption(subnet, 24)])
    query.flags &= ~dns.flags.RD
    response = dns.query.udp(query, f"{base}.1", port=port, timeout=2)
    return [rr.address for rrset in response.answer for rr in rrset]


def test_ecs_clients_of_two_countries_get_their_pops(procs, tmp_path):
    base = loopback_base()
    database = tmp_path / "geo.mmdb"
    write_database(database, "EU/DE")
    dns_port = free_port(f"{base}.1")
    config = tmp_path / "udn.toml"
    config.write_text(network_config(base, database, dns_port, free_port(f"{base}.1")))
    server = procs.udn("dns", "--config", config, "--server", "eu-ns1", "--state-dir", tmp_path / "state")
    wait_until(lambda: "GeoIP fallback from" in server.log() and "udn-test-Country" in server.log(), timeout=20,
               what="udn dns with its GeoIP database")
    wait_until(lambda: _answers(base, dns_port, GERMANY), timeout=20, what="udn dns answering")
    for _ in range(5):
        assert ask(base, dns_port, GERMANY) == [f"{base}.2"]
        assert ask(base, dns_port, USA) == [f"{base}.12"]
    dig = subprocess.run(["dig", "+norec", f"@{base}.1", "-p", str(dns_port), "acme.cdn.example", "A",
                          f"+subnet={USA}/24"], capture_output=True, text=True, timeout=10).stdout
    assert re.search(rf"acme\.cdn\.example\.\s+\d+\s+IN\s+A\s+{re.escape(base)}\.12\b", dig), dig
    explain = run_udn("admin", "explain", "acme.cdn.example", f"{GERMANY}/24", "--config", config, "--server",
                      "eu-ns1")
    assert explain.returncode == 0, explain.stderr
    assert "geoip: DE → POP eu (client in EU/DE)" in explain.stdout, explain.stdout
    # A new database under the same path, the configuration unchanged: SIGHUP reopens it.
    write_database(database, "NA/US")
    server.signal(signal.SIGHUP)
    wait_until(lambda: ask(base, dns_port, GERMANY) == [f"{base}.12"], timeout=10, what="the new database")
    assert "changed on disk: reopening it" in server.log()
    assert server.alive()


def _answers(base, port, subnet):
    try:
        return ask(base, port, subnet)
    except Exception:
        return None


def test_check_rejects_a_missing_or_invalid_database(tmp_path):
    base = loopback_base()
    config = tmp_path / "udn.toml"
    line = 9  # geoip_database in network_config()
    config.write_text(network_config(base, tmp_path / "missing.mmdb"))
    assert config.read_text().splitlines()[line - 1].startswith("geoip_database")
    missing = run_udn("check", config)
    assert missing.returncode == 2
    first = missing.stderr.splitlines()[0]
    assert first.startswith(f"{config}:{line}: network.geoip_database: cannot read {tmp_path}/missing.mmdb: "
                            "No such file or directory — "), first
    garbage = tmp_path / "garbage.mmdb"
    garbage.write_bytes(b"not a database" * 100)
    config.write_text(network_config(base, garbage))
    invalid = run_udn("check", config)
    assert invalid.returncode == 2 and "is not a usable MaxMind DB" in invalid.stderr, invalid.stderr
    good = tmp_path / "geo.mmdb"
    write_database(good, "EU/DE")
    config.write_text(network_config(base, good))
    result = run_udn("check", config)
    assert result.returncode == 0, result.stderr
    # Places are checked like every key: file, line, and how to write it.
    config.write_text(network_config(base, good).replace('geo = ["DE", "Europe"]', 'geo = ["Germany"]'))
    wrong = run_udn("check", config)
    assert wrong.returncode == 2 and 'pops.geo[0] = "Germany" is neither a continent' in wrong.stderr, wrong.stderr
