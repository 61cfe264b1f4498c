"""`udn dns` against real clients: dig, kdig and dnspython over UDP and TCP, IPv4 and IPv6.
Covers the authoritative rules (AA, NXDOMAIN+SOA, NODATA, REFUSED, FORMERR, NOTIMP, BADVERS,
TC then TCP, ECS scope, minimal ANY, CNAME, TXT), probe reports steering decisions (forged ones
dropped), SIGHUP reload, and `udn admin explain`."""
import signal
import socket
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import probe_wire
from conftest import loopback_base, run_udn, wait_until

REPORT_KEY = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"


def network_config(base, port, reports_port, extra_records="", www_policy="", dns_settings=""):
    return f"""
version = 1
[network]
name = "t"
domain = "udn.example"
cdn_zone = "cdn.example"
hostmaster = "hostmaster@udn.example"
report_key = "{REPORT_KEY}"
[ports]
dns = {port}
reports = {reports_port}
latency = {reports_port + 1}
dns_admin = {reports_port + 2}
{dns_settings}
[[pops]]
name = "eu"
region = "eu"
  [[pops.servers]]
  name = "eu-ns1"
  addresses = ["{base}.1", "::1"]
  roles = ["dns", "probe"]
  [[pops.servers]]
  name = "eu-cache1"
  addresses = ["{base}.2"]
  roles = ["cache"]
  [[pops.servers]]
  name = "eu-log1"
  addresses = ["{base}.3"]
  roles = ["logs"]
[[pops]]
name = "us"
region = "us"
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
  [[customers.origins]]
  name = "m2"
  address = "{base}.102"
  [[customers.domains]]
  name = "www.acme.example"
  kind = "dynamic"
  origins = ["m1", "m2"]
    [customers.domains.policy]
    ttl_s = 20
    {www_policy}
  [[customers.domains]]
  name = "acme.cdn.example"
  kind = "static"
  origins = ["m1"]
  [[customers.records]]
  name = "acme.example"
  type = "TXT"
  value = "v=spf1 -all"
  [[customers.records]]
  name = "alias.acme.example"
  type = "CNAME"
  value = "www.acme.example"
  [[customers.records]]
  name = "big.acme.example"
  type = "TXT"
  value = "{'a' * 240}"
  [[customers.records]]
  name = "big.acme.example"
  type = "TXT"
  value = "{'b' * 240}"
  [[customers.records]]
  name = "big.acme.example"
  type = "TXT"
  value = "{'c' * 240}"
{extra_records}
"""


class Server:
    def __init__(self, procs, tmp_path, **config_args):
        self.base = loopback_base()
        self.address = f"{self.base}.1"
        self.port = 5300 + (hash(self.base) % 200) * 2 + 1000
        self.reports_port = self.port + 1
        self.latency_port = self.port + 2
        self.admin_port = self.port + 3
        self.config_path = tmp_path / "udn.toml"
        self.tmp_path = tmp_path
        self.config_path.write_text(network_config(self.base, self.port, self.reports_port, **config_args))
        self.process = procs.udn("dns", "--config", self.config_path, "--server", "eu-ns1",
                                 "--state-dir", tmp_path / "state")
        wait_until(self.answers, timeout=20, what="udn dns answering")

    def answers(self):
        try:
            self.ask("udn.example", "SOA", timeout=0.5)
            return True
        except Exception:
            return False

    def ask(self, name, rdtype="A", tcp=False, address=None, timeout=2.0, **kwargs):
        query = dns.message.make_query(name, rdtype, **kwargs)
        query.flags &= ~dns.flags.RD
        where = address or self.address
        if tcp:
            return dns.query.tcp(query, where, port=self.port, timeout=timeout)
        return dns.query.udp(query, where, port=self.port, timeout=timeout)

    def raw(self, payload, timeout=2.0):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(payload, (self.address, self.port))
            return s.recv(65535)

    def send_report(self, datagram):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(datagram, (self.address, self.reports_port))


@pytest.fixture
def server(procs, tmp_path):
    return Server(procs, tmp_path)


def addresses(response):
    return sorted(rr.address for rrset in response.answer for rr in rrset if rrset.rdtype in (1, 28))


def test_authoritative_basics_with_dig(server):
    out = subprocess.run(["dig", "+norec", f"@{server.address}", "-p", str(server.port), "udn.example", "SOA"],
                         capture_output=True, text=True, timeout=10).stdout
    assert "status: NOERROR" in out and " aa" in out.split("flags:")[1].split(";")[0]
    assert "eu-ns1.udn.example. hostmaster.udn.example." in out
    out = subprocess.run(["kdig", f"@{server.address}", "-p", str(server.port), "+tcp", "acme.example", "NS"],
                         capture_output=True, text=True, timeout=10).stdout
    assert "eu-ns1.udn.example." in out and "NOERROR" in out
    ns_glue = server.ask("acme.example", "NS")
    assert any(rrset.rdtype == dns.rdatatype.A for rrset in ns_glue.additional)


def test_negative_answers_and_refusal(server):
    nx = server.ask("nope.acme.example")
    assert nx.rcode() == dns.rcode.NXDOMAIN and nx.flags & dns.flags.AA
    assert nx.authority[0].rdtype == dns.rdatatype.SOA
    nodata = server.ask("acme.example", "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    refused = server.ask("www.example.org")
    assert refused.rcode() == dns.rcode.REFUSED and not refused.flags & dns.flags.AA
    assert not refused.flags & dns.flags.RA


def test_malformed_and_unsupported(server):
    query = dns.message.make_query("acme.example", "A")
    wire = bytearray(query.to_wire())
    wire[5] = 2  # QDCOUNT 2 with one question: FORMERR
    assert dns.message.from_wire(server.raw(bytes(wire)), question_only=True).rcode() == dns.rcode.FORMERR
    status = dns.message.make_query("acme.example", "A")
    status.set_opcode(dns.opcode.STATUS)
    assert dns.message.from_wire(server.raw(status.to_wire())).rcode() == dns.rcode.NOTIMP
    version_one = dns.message.make_query("acme.example", "TXT")
    version_one.use_edns(edns=1)
    badvers = dns.message.from_wire(server.raw(version_one.to_wire()))
    assert badvers.rcode() == dns.rcode.BADVERS and badvers.edns == 0
    with pytest.raises(socket.timeout):
        server.raw(b"\x00\x01\x80")  # too short to be a query: silently dropped
    assert server.answers()  # and the server is still there


def test_edns_truncation_then_tcp(server):
    plain = server.ask("big.acme.example", "TXT")
    assert plain.flags & dns.flags.TC and not plain.answer
    edns = server.ask("big.acme.example", "TXT", use_edns=0, payload=4096)
    assert edns.edns == 0 and edns.payload == 1232 and len(edns.answer[0]) == 3
    tcp = server.ask("big.acme.example", "TXT", tcp=True)
    assert not tcp.flags & dns.flags.TC and len(tcp.answer[0]) == 3


def test_tcp_pipelining(server):
    names = ["acme.example", "www.acme.example", "nope.acme.example", "udn.example"]
    with socket.create_connection((server.address, server.port), timeout=5) as s:
        queries = [dns.message.make_query(n, "A") for n in names]
        s.sendall(b"".join(struct.pack(">H", len(q.to_wire())) + q.to_wire() for q in queries))
        for query in queries:
            length = struct.unpack(">H", s.recv(2, socket.MSG_WAITALL))[0]
            response = dns.message.from_wire(s.recv(length, socket.MSG_WAITALL))
            assert response.id == query.id


def test_ipv6_transport_case_cname_txt_any(server):
    over_v6 = server.ask("AcMe.CDN.example", address="::1")
    assert str(over_v6.answer[0].name) == "AcMe.CDN.example."
    assert addresses(over_v6)[0] in (f"{server.base}.2", f"{server.base}.12")
    alias = server.ask("alias.acme.example")
    assert [rrset.rdtype for rrset in alias.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    txt = server.ask("acme.example", "TXT")
    assert txt.answer[0][0].strings == (b"v=spf1 -all",)
    any_answer = server.ask("acme.example", "ANY")
    assert len(any_answer.answer) == 1  # RFC 8482: one RRset
    log = server.ask("log.udn.example")
    assert addresses(log) == [f"{server.base}.3"]


def test_ecs_scope(server):
    with_ecs = server.ask("www.acme.example", use_edns=0, options=[dns.edns.ECSOption("198.51.100.0", 24)])
    ecs = [o for o in with_ecs.options if isinstance(o, dns.edns.ECSOption)][0]
    assert ecs.srclen == 24 and ecs.scopelen == 24
    wide = server.ask("www.acme.example", use_edns=0, options=[dns.edns.ECSOption("198.51.0.0", 16)])
    assert [o for o in wide.options if isinstance(o, dns.edns.ECSOption)][0].scopelen == 16
    static_record = server.ask("acme.example", "TXT", use_edns=0, options=[dns.edns.ECSOption("198.51.100.0", 24)])
    assert [o for o in static_record.options if isinstance(o, dns.edns.ECSOption)][0].scopelen == 0


def service_report(sender, origin, up, load_permille, sequence, key_hex=REPORT_KEY, timestamp_ms=None):
    body = (bytes([1]) + probe_wire.str8("acme") + probe_wire.str8(origin) + bytes([1, 1 if up else 2, 0 if up else 1])
            + struct.pack(">H", 200 if up else 0) + struct.pack(">IIIII", 0, 1000, 0, 2000, 3000)
            + bytes([1]) + struct.pack(">HHHHI", load_permille, 100, 0, 100, 5) + probe_wire.str8("test"))
    return probe_wire.seal(bytes.fromhex(key_hex), probe_wire.SERVICE_REPORT, sender, sequence,
                           timestamp_ms or probe_wire.now_ms(), body)


def test_probe_reports_steer_answers_and_forgeries_are_dropped(server):
    sequence = int(time.time() * 1e6)
    # A forged report (wrong key) saying m2 is down must change nothing.
    server.send_report(service_report("eu-ns1", "m2", False, 0, sequence, key_hex="00" * 32))
    server.send_report(service_report("eu-ns1", "m1", True, 900, sequence + 1))
    server.send_report(service_report("eu-ns1", "m2", True, 100, sequence + 2))
    wait_until(lambda: all(addresses(server.ask("www.acme.example")) == [f"{server.base}.102"] for _ in range(5)),
               timeout=5, what="lowest load wins")
    server.send_report(service_report("eu-ns1", "m2", False, 100, sequence + 3))
    wait_until(lambda: all(addresses(server.ask("www.acme.example")) == [f"{server.base}.101"] for _ in range(5)),
               timeout=5, what="dead origin not handed out")
    # A replay of the "m2 up" report is dropped: m2 stays down.
    server.send_report(service_report("eu-ns1", "m2", True, 100, sequence + 2))
    time.sleep(0.3)
    assert all(addresses(server.ask("www.acme.example")) == [f"{server.base}.101"] for _ in range(10))


def test_reload_swaps_zones_and_keeps_old_on_error(server):
    assert server.ask("new.acme.example").rcode() == dns.rcode.NXDOMAIN
    extra = '  [[customers.records]]\n  name = "new.acme.example"\n  type = "A"\n  value = "192.0.2.77"\n'
    server.config_path.write_text(network_config(server.base, server.port, server.reports_port, extra_records=extra))
    server.process.signal(signal.SIGHUP)
    wait_until(lambda: addresses(server.ask("new.acme.example")) == ["192.0.2.77"], timeout=5, what="reload")
    server.config_path.write_text("this is not toml [")
    server.process.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert addresses(server.ask("new.acme.example")) == ["192.0.2.77"]
    assert server.process.alive()


def admin_get(server, path):
    import urllib.request
    with urllib.request.urlopen(f"http://{server.address}:{server.admin_port}{path}", timeout=5) as response:
        return response.read().decode()


def latency_result_body(pop, measurements):
    body = probe_wire.str8(pop) + struct.pack(">H", len(measurements))
    for client, rtt_ms in measurements:
        body += probe_wire.address(client) + bytes([1, 1]) + struct.pack(">IQ", rtt_ms * 1000, probe_wire.now_ms())
    return body


def test_latency_requests_and_results_steer_static_names(server):
    key = bytes.fromhex(REPORT_KEY)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((server.address, server.latency_port))
        probe.settimeout(5)
        ecs = [dns.edns.ECSOption("198.51.100.0", 24)]
        server.ask("acme.cdn.example", use_edns=0, options=ecs)  # unknown latency: a measurement is requested
        datagram, sender = probe.recvfrom(65535)
        assert datagram[5] == probe_wire.LATENCY_REQUEST
        assert probe_wire.address("198.51.100.0") in datagram
        sequence = int(time.time() * 1e6)
        for i, (pop, rtt) in enumerate([("eu", 80), ("us", 5)]):
            probe.sendto(probe_wire.seal(key, probe_wire.LATENCY_RESULT, "eu-ns1", sequence + i, probe_wire.now_ms(),
                                         latency_result_body(pop, [("198.51.100.0", rtt)])), sender)
    wait_until(lambda: all(addresses(server.ask("acme.cdn.example", use_edns=0, options=ecs)) == [f"{server.base}.12"]
                           for _ in range(5)), timeout=5, what="the nearer POP's cache wins")
    live = run_udn("admin", "explain", "acme.cdn.example", "198.51.100.0/24", "--config", server.config_path,
                   "--server", "eu-ns1")
    assert live.returncode == 0, live.stderr
    assert "5.0ms" in live.stdout and "us" in live.stdout
    metrics = admin_get(server, "/metrics")
    assert "udn_dns_latency_prefixes 1\n" in metrics, metrics
    assert "udn_dns_latency_prefixes_capacity 1048576\n" in metrics  # the default
    assert "udn_dns_latency_evictions 0\n" in metrics and "udn_dns_persistence_evictions 0\n" in metrics


def measure_a_client(server):
    """Has 198.51.100.0/24 measured (eu 80 ms, us 5 ms) through the server's latency request, until
    the server answers it with us's cache; returns the ECS option that names the client."""
    key = bytes.fromhex(REPORT_KEY)
    ecs = [dns.edns.ECSOption("198.51.100.0", 24)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((server.address, server.latency_port))
        probe.settimeout(5)
        server.ask("acme.cdn.example", use_edns=0, options=ecs)
        _, sender = probe.recvfrom(65535)
        sequence = int(time.time() * 1e6)
        for i, (pop, rtt) in enumerate([("eu", 80), ("us", 5)]):
            probe.sendto(probe_wire.seal(key, probe_wire.LATENCY_RESULT, "eu-ns1", sequence + i, probe_wire.now_ms(),
                                         latency_result_body(pop, [("198.51.100.0", rtt)])), sender)
    wait_until(lambda: addresses(server.ask("acme.cdn.example", use_edns=0, options=ecs)) == [f"{server.base}.12"],
               timeout=5, what="the nearer POP's cache wins")
    return ecs


def test_client_latency_survives_a_restart(server, procs):
    """Measurements are saved at the stop and read at the start: the restarted server answers a
    measured client with the nearer POP at once, with no probe to measure it again."""
    ecs = measure_a_client(server)
    server.process.stop()
    assert "saved 0 persistence windows and 2 latency measurements" in server.process.log_path.read_text()
    server.process = procs.udn("dns", "--config", server.config_path, "--server", "eu-ns1",
                               "--state-dir", server.tmp_path / "state")
    wait_until(server.answers, timeout=20, what="the restarted server answering")
    assert "restored 0 persistence windows and 2 latency measurements" in server.process.log()
    assert addresses(server.ask("acme.cdn.example", use_edns=0, options=ecs)) == [f"{server.base}.12"]
    # A damaged file is moved aside and the server starts without it.
    server.process.stop()
    state_file = server.tmp_path / "state" / "dns" / "client-state"
    damaged = bytearray(state_file.read_bytes())
    damaged[10] ^= 1
    state_file.write_bytes(bytes(damaged))
    server.process = procs.udn("dns", "--config", server.config_path, "--server", "eu-ns1",
                               "--state-dir", server.tmp_path / "state")
    wait_until(server.answers, timeout=20, what="the server answering without its client state")
    assert "checksum does not match" in server.process.log() and "moved to" in server.process.log()
    assert (server.tmp_path / "state" / "dns" / "client-state.bad").read_bytes() == bytes(damaged)


def test_client_latency_saved_while_running_survives_a_crash(procs, tmp_path):
    """With dns.client_state_save_s the state is saved while the server runs, so a server killed
    (no save at stop) still finds it at its next start; a kill leaves no temporary file."""
    server = Server(procs, tmp_path, dns_settings="[dns]\nclient_state_save_s = 1\n")
    ecs = measure_a_client(server)
    wait_until(lambda: "saved 0 persistence windows and 2 latency measurements" in server.process.log(), timeout=5,
               what="a periodic save")
    server.process.signal(signal.SIGKILL)
    server.process.popen.wait(timeout=10)
    assert sorted(p.name for p in (tmp_path / "state" / "dns").iterdir()) == ["client-state"]
    server.process = procs.udn("dns", "--config", server.config_path, "--server", "eu-ns1",
                               "--state-dir", tmp_path / "state")
    wait_until(server.answers, timeout=20, what="the restarted server answering")
    assert "restored 0 persistence windows and 2 latency measurements" in server.process.log()
    assert addresses(server.ask("acme.cdn.example", use_edns=0, options=ecs)) == [f"{server.base}.12"]


def test_client_state_tables_are_sized_by_the_configuration(procs, tmp_path):
    server = Server(procs, tmp_path, dns_settings="[dns]\nlatency_prefixes = 5000\npersistence_entries = 2050\n")
    # Whole buckets of 16 prefixes and probe windows of 4 entries.
    assert "latency for 5008 prefixes x 4 POP slots" in server.process.log()
    assert "2052 persistence windows" in server.process.log()
    assert "udn_dns_latency_prefixes_capacity 5008\n" in admin_get(server, "/metrics")


def test_reload_keeps_client_latency_by_pop_name_and_places_an_added_pop(server):
    """POPs reordered by a push keep their clients' measurements (slots follow POP names), and a
    POP added without a restart takes a spare slot (dns.latency_spare_pops) and is used."""
    key = bytes.fromhex(REPORT_KEY)
    ecs = [dns.edns.ECSOption("198.51.100.0", 24)]
    sequence = int(time.time() * 1e6)

    def send_results(probe, sender, results):
        nonlocal sequence
        for pop, rtt in results:
            sequence += 1
            probe.sendto(probe_wire.seal(key, probe_wire.LATENCY_RESULT, "eu-ns1", sequence, probe_wire.now_ms(),
                                         latency_result_body(pop, [("198.51.100.0", rtt)])), sender)

    def chosen():
        return addresses(server.ask("acme.cdn.example", use_edns=0, options=ecs))

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((server.address, server.latency_port))
        probe.settimeout(5)
        server.ask("acme.cdn.example", use_edns=0, options=ecs)
        _, sender = probe.recvfrom(65535)
        send_results(probe, sender, [("eu", 80), ("us", 5)])
        wait_until(lambda: chosen() == [f"{server.base}.12"], timeout=5, what="the nearer POP's cache wins")

        text = server.config_path.read_text()
        eu_at, us_at, customers_at = (text.index('[[pops]]\nname = "eu"'), text.index('[[pops]]\nname = "us"'),
                                      text.index("[[customers]]"))
        added = (f'[[pops]]\nname = "sa"\nregion = "sa"\n  [[pops.servers]]\n  name = "sa-cache1"\n'
                 f'  addresses = ["{server.base}.22"]\n  roles = ["cache"]\n')
        server.config_path.write_text(text[:eu_at] + text[us_at:customers_at] + text[eu_at:us_at] + added +
                                      text[customers_at:])
        server.process.signal(signal.SIGHUP)
        wait_until(lambda: "latency slot 2 now holds POP sa" in server.process.log(), timeout=5, what="the reload")
        live = run_udn("admin", "explain", "acme.cdn.example", "198.51.100.0/24", "--config", server.config_path,
                       "--server", "eu-ns1")
        assert "5.0ms" in live.stdout and "80.0ms" in live.stdout, live.stdout
        assert chosen() == [f"{server.base}.12"]
        send_results(probe, sender, [("sa", 1)])
        wait_until(lambda: chosen() == [f"{server.base}.22"], timeout=5, what="the added POP's cache to win")


def test_metrics_and_query_log(server):
    for _ in range(3):
        server.ask("www.acme.example")
    server.ask("nope.acme.example")
    metrics = admin_get(server, "/metrics")
    assert 'udn_dns_queries_total{transport="udp",rcode="NXDOMAIN"} 1' in metrics
    assert 'udn_dns_name_queries_total{name="www.acme.example"} 3' in metrics
    assert "udn_dns_answers_total{" in metrics
    server.process.stop()
    ready = list((server.tmp_path / "state" / "spool" / "dns" / "ready").glob("*.log"))
    lines = [line.split("\t") for f in ready for line in f.read_text().splitlines()]
    www = [f for f in lines if f[4] == "www.acme.example"]
    assert len(www) == 3 and www[0][1] == "eu-ns1" and www[0][5] == "A" and www[0][6] == "NOERROR"
    assert www[0][7].startswith(server.base) and www[0][8] == "origin"
    assert any(f[4] == "nope.acme.example" and f[6] == "NXDOMAIN" and f[7] == "-" for f in lines)


def test_explain(server):
    result = run_udn("admin", "explain", "www.acme.example", "198.51.100.7", "--config", server.config_path)
    assert result.returncode == 0, result.stderr
    assert "origin m1" in result.stdout and "CHOSEN" in result.stdout
    missing = run_udn("admin", "explain", "nope.example", "198.51.100.7", "--config", server.config_path)
    assert missing.returncode != 0 and "not a GSLB name" in missing.stderr
