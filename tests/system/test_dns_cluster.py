"""Two `udn dns` servers sharing client state: each client prefix has one owner (rendezvous
hashing), the other server forwards that prefix's GSLB queries to it (over UDP or TCP), so a
client gets the same persistent answer from either server. Sharing off → the servers choose
independently; owner frozen → the other server answers by itself after the forward timeout."""
import re
import signal
import socket
import threading
import time
import urllib.request

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

import probe_wire
from conftest import free_port, loopback_base, wait_until
from test_dns_server import latency_result_body

REPORT_KEY = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
PREFIXES = 40


def third_server(base):
    return f"""
[[pops]]
name = "ap"
region = "ap"
  [[pops.servers]]
  name = "ap-ns1"
  addresses = ["{base}.3"]
  roles = ["dns"]
"""


def latency_setup(base):
    """For latency tests: a cache in each of eu and us serving a static name, a latency probe in eu
    (answered by the test), and a coverage zone that sends the test's clients to eu while their
    latency is unknown. Returns the configuration's pieces by where they go."""
    return {
        "eu": f"""
  [[pops.servers]]
  name = "eu-cache1"
  addresses = ["{base}.21"]
  roles = ["cache"]
  [[pops.servers]]
  name = "eu-probe1"
  addresses = ["{base}.11"]
  roles = ["probe"]""",
        "us": f"""
  [[pops.servers]]
  name = "us-cache1"
  addresses = ["{base}.22"]
  roles = ["cache"]""",
        "coverage": """
[[coverage]]
client = "10.0.0.0/8"
pop = "eu"
""",
        "domains": """
  [[customers.domains]]
  name = "acme.cdn.example"
  kind = "static"
  origins = ["m1"]
""",
    }


def cluster_config(base, ports, share=True, version=1, third=False, latency=False):
    extra = latency_setup(base) if latency else {"eu": "", "us": "", "coverage": "", "domains": ""}
    return f"""
version = {version}
[network]
name = "t"
domain = "udn.example"
cdn_zone = "cdn.example"
hostmaster = "hostmaster@udn.example"
report_key = "{REPORT_KEY}"
[ports]
dns = {ports['dns']}
reports = {ports['reports']}
latency = {ports['latency']}
dns_admin = {ports['admin']}
dns_cluster = {ports['cluster']}
[dns]
share_client_state = {str(share).lower()}
forward_timeout_ms = 400
[[pops]]
name = "eu"
region = "eu"
  [[pops.servers]]
  name = "eu-ns1"
  addresses = ["{base}.1"]
  roles = ["dns"]{extra["eu"]}
[[pops]]
name = "us"
region = "us"
  [[pops.servers]]
  name = "us-ns1"
  addresses = ["{base}.2"]
  roles = ["dns"]{extra["us"]}
{third_server(base) if third else ""}{extra["coverage"]}
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
    answers = 1
    persistence_s = 600
{extra["domains"]}"""


def addresses(response):
    return [rr.address for rrset in response.answer for rr in rrset]


def read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {size} bytes")
        data += chunk
    return data


class Cluster:
    def __init__(self, procs, tmp_path, **config_args):
        self.base = loopback_base()
        self.config_args = config_args
        address = f"{self.base}.1"
        # The addresses are fresh (a random 127.x.y.0/24): any port is free on them.
        port = free_port(address)
        self.ports = {"dns": port, "reports": port + 1, "latency": port + 2, "admin": port + 3, "cluster": port + 4}
        self.procs, self.tmp_path = procs, tmp_path
        self.config_path = tmp_path / "udn.toml"
        self.config_path.write_text(cluster_config(self.base, self.ports, **config_args))
        self.servers = {}
        for name in ["eu-ns1", "us-ns1"]:
            self.servers[name] = procs.udn("dns", "--config", self.config_path, "--server", name,
                                           "--state-dir", tmp_path / name)
        for index in (1, 2):
            wait_until(lambda: self.answers(index), timeout=20, what=f"dns server {index} answering")

    def address(self, index):
        return f"{self.base}.{index}"

    @staticmethod
    def query_for(client_prefix, name="www.acme.example"):
        query = dns.message.make_query(name, "A", use_edns=0, options=[dns.edns.ECSOption(client_prefix, 24)])
        query.flags &= ~dns.flags.RD
        return query

    def ask(self, index, client_prefix, timeout=2.0, tcp=False, name="www.acme.example"):
        ask = dns.query.tcp if tcp else dns.query.udp
        return ask(self.query_for(client_prefix, name), self.address(index), port=self.ports["dns"], timeout=timeout)

    def answers(self, index, client_prefix="10.0.0.0"):
        try:
            self.ask(index, client_prefix, timeout=0.5)
            return True
        except Exception:
            return False

    def choices(self, index, tcp=False, name="www.acme.example"):
        result = []
        for n in range(PREFIXES):
            response = self.ask(index, f"10.{n}.0.0", tcp=tcp, name=name)
            result.append(addresses(response))
        return result

    def metric(self, index, name):
        url = f"http://{self.address(index)}:{self.ports['admin']}/metrics"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        match = re.search(rf"^{name} (\S+)$", text, re.M)
        return float(match.group(1)) if match else None

    def reconfigure(self, share, version):
        self.config_path.write_text(cluster_config(self.base, self.ports, share=share, version=version))
        for process in self.servers.values():
            process.signal(signal.SIGHUP)


@pytest.fixture
def cluster(procs, tmp_path):
    return Cluster(procs, tmp_path)


def test_both_servers_give_a_client_the_same_persistent_answer(cluster):
    first = cluster.choices(1)
    assert all(len(choice) == 1 for choice in first)
    assert len({choice[0] for choice in first}) == 2, "both origins should be in use across 40 prefixes"
    assert cluster.choices(2) == first, "the other server must answer from the owner's persistence"
    assert cluster.choices(1) == first
    forwarded = cluster.metric(1, "udn_dns_cluster_forwarded") + cluster.metric(2, "udn_dns_cluster_forwarded")
    served = cluster.metric(1, "udn_dns_cluster_served_for_peers") + cluster.metric(2, "udn_dns_cluster_served_for_peers")
    assert forwarded >= PREFIXES and served == forwarded
    assert cluster.metric(1, "udn_dns_cluster_timeouts") == 0


def test_without_sharing_the_servers_choose_independently(cluster):
    cluster.reconfigure(share=False, version=2)
    # Wait until both serve version 2 (sharing off): then each decides every client itself ...
    for process in cluster.servers.values():
        wait_until(lambda: "now serving configuration version 2" in process.log(), timeout=10, what="reload")
    before = cluster.metric(1, "udn_dns_cluster_forwarded")
    one, two = cluster.choices(1), cluster.choices(2)
    assert cluster.metric(1, "udn_dns_cluster_forwarded") == before, "sharing is off: nothing is forwarded"
    # ... then 40 independent coin flips per server cannot all agree (2^-40).
    assert one != two


def test_a_frozen_owner_costs_one_timeout_then_the_other_server_decides(cluster):
    owner = cluster.servers["us-ns1"]
    cluster.choices(1)  # warm: eu-ns1 forwards us-ns1's prefixes
    owner.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        answers = cluster.choices(1)
        elapsed = time.monotonic() - started
        assert all(len(choice) == 1 for choice in answers)
        timeouts = cluster.metric(1, "udn_dns_cluster_timeouts")
        assert timeouts >= 1
        # After a few misses the owner is suspended: not every one of its prefixes waits.
        assert cluster.metric(1, "udn_dns_cluster_owner_suspensions") >= 1
        assert elapsed < PREFIXES * 0.1, f"{elapsed:.2f}s: every forwarded query waited for the timeout"
    finally:
        owner.signal(signal.SIGCONT)


def test_forwarded_queries_from_strangers_are_refused(cluster):
    query = dns.message.make_query("www.acme.example", "A").to_wire()
    envelope = b"UDNF\x01\x01\x00\x00\x00\x01\x04" + bytes([198, 51, 100, 7]) + query
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((f"{cluster.base}.77", 0))
        s.settimeout(0.5)
        s.sendto(envelope, (cluster.address(1), cluster.ports["cluster"]))
        with pytest.raises(socket.timeout):
            s.recv(4096)
    wait_until(lambda: cluster.metric(1, "udn_dns_cluster_rejected") == 1, timeout=5, what="rejection counted")


def test_tcp_clients_get_the_owners_answer_too(cluster):
    by_udp = cluster.choices(1)
    relayed_before = cluster.metric(2, "udn_dns_cluster_relayed")
    assert cluster.choices(2, tcp=True) == by_udp, "a TCP client must get the owner's persistent answer"
    assert cluster.choices(1, tcp=True) == by_udp
    assert cluster.metric(2, "udn_dns_cluster_relayed") > relayed_before, "server 2 forwarded nothing over TCP"
    assert cluster.metric(1, "udn_dns_cluster_timeouts") == 0 and cluster.metric(2, "udn_dns_cluster_timeouts") == 0


def test_pipelined_tcp_queries_are_answered_in_order_across_forwarding(cluster):
    by_udp = cluster.choices(2)
    # Forwarded (other owner), local (this server owns) and negative (never forwarded) queries,
    # sent in one write; RFC 7766 lets a server reorder, but udn promises order.
    queries = []
    for n in range(PREFIXES):
        queries.append((n, cluster.query_for(f"10.{n}.0.0")))
        if n % 5 == 0:
            queries.append((None, cluster.query_for(f"10.{n}.0.0", name=f"nothing-{n}.acme.example")))
    for position, (_, query) in enumerate(queries):
        query.id = position + 1
    stream = b"".join(len(wire).to_bytes(2, "big") + wire for wire in (q.to_wire() for _, q in queries))
    with socket.create_connection((cluster.address(2), cluster.ports["dns"]), timeout=5) as sock:
        sock.sendall(stream)
        sock.shutdown(socket.SHUT_WR)  # a client may half-close after its last query
        for position, (prefix, _) in enumerate(queries):
            length = int.from_bytes(read_exactly(sock, 2), "big")
            response = dns.message.from_wire(read_exactly(sock, length))
            assert response.id == position + 1, f"answer {position} out of order: id {response.id}"
            if prefix is None:
                assert response.rcode() == dns.rcode.NXDOMAIN
            else:
                assert addresses(response) == by_udp[prefix]
    assert cluster.metric(2, "udn_dns_cluster_timeouts") == 0


def test_a_tcp_query_for_a_frozen_owner_is_answered_here(cluster):
    # The owner of prefix n differs by n; freezing us-ns1 leaves eu-ns1 to decide its prefixes.
    owner = cluster.servers["us-ns1"]
    owner.signal(signal.SIGSTOP)
    try:
        answers = cluster.choices(1, tcp=True)
        assert all(len(choice) == 1 for choice in answers)
        assert cluster.metric(1, "udn_dns_cluster_timeouts") >= 1
    finally:
        owner.signal(signal.SIGCONT)


def add_third_server(cluster):
    """Starts ap-ns1 with configuration version 2 (three DNS servers), waits until it answers,
    and makes the two running servers reload that version; returns its process."""
    cluster.config_path.write_text(cluster_config(cluster.base, cluster.ports, version=2, third=True,
                                                  **cluster.config_args))
    third = cluster.procs.udn("dns", "--config", cluster.config_path, "--server", "ap-ns1",
                              "--state-dir", cluster.tmp_path / "ap-ns1")
    # Readiness asked with a prefix outside the 40, so that it decides none of theirs itself.
    wait_until(lambda: cluster.answers(3, "192.0.2.0"), timeout=20, what="the third server answering")
    for process in cluster.servers.values():
        process.signal(signal.SIGHUP)
    return third


def test_persistence_moves_with_its_clients_when_a_server_joins(cluster):
    first = cluster.choices(1)
    # A third server joins: it owns about a third of the prefixes from now on, and must give
    # them the answers the old owners promised (persistence 600 s), not decide afresh.
    joined = add_third_server(cluster)
    for process in cluster.servers.values():
        wait_until(lambda: "handed" in process.log(), timeout=10, what="the persistence handover")
    handed = sum(int(re.search(r"handed (\d+) persistence", p.log()).group(1)) for p in cluster.servers.values())
    wait_until(lambda: cluster.metric(3, "udn_dns_cluster_persistence_adopted") == handed, timeout=5,
               what=f"the joining server adopting all {handed} entries")
    assert PREFIXES / 6 < handed < PREFIXES * 2 / 3, f"{handed} of {PREFIXES} prefixes moved to the third server"
    assert cluster.choices(3) == first, "a moved client must keep its persistent answer"
    assert cluster.choices(1) == first and cluster.choices(2) == first
    assert "handed" not in joined.log(), "the joining server had nothing to hand over"


def test_a_removed_server_hands_its_clients_persistence_to_the_rest(cluster):
    leaving = add_third_server(cluster)
    for process in cluster.servers.values():
        wait_until(lambda: "now serving configuration version 2" in process.log(), timeout=10, what="reload")
    first = cluster.choices(1)  # about a third of the prefixes are ap-ns1's now, decided there
    # ap-ns1 is removed: at its reload it hands every entry it holds to the remaining owners,
    # who accept it although (once reloaded) it is no longer one of theirs.
    cluster.config_path.write_text(cluster_config(cluster.base, cluster.ports, version=3))
    for process in [*cluster.servers.values(), leaving]:
        process.signal(signal.SIGHUP)
    wait_until(lambda: "handed" in leaving.log(), timeout=10, what="the removed server's handover")
    handed = int(re.search(r"handed (\d+) persistence", leaving.log()).group(1))
    assert PREFIXES / 6 < handed < PREFIXES * 2 / 3, f"the removed server held {handed} of {PREFIXES} prefixes"
    for process in cluster.servers.values():
        wait_until(lambda: "now serving configuration version 3" in process.log(), timeout=10, what="reload")

    def adopted():
        return sum(cluster.metric(i, "udn_dns_cluster_persistence_adopted") for i in (1, 2))

    wait_until(lambda: adopted() == handed, timeout=5, what=f"the remaining servers adopting all {handed} entries")
    assert cluster.choices(1) == first, "a client of the removed server must keep its persistent answer"
    assert cluster.choices(2) == first


STATIC_NAME = "acme.cdn.example"


class LatencyProbe:
    """Stands in for eu's latency probe: answers every latency request a DNS server sends with
    each client 80 ms from eu and 5 ms from us, while `answering` is set."""

    def __init__(self, address, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.1)
        self.answering = True
        self.sequence = int(time.time() * 1e6)
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stopping = True
        self.thread.join()
        self.sock.close()

    def run(self):
        key = bytes.fromhex(REPORT_KEY)
        while not self.stopping:
            try:
                datagram, sender = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            request = probe_wire.open_datagram(key, datagram)
            if request["type"] != probe_wire.LATENCY_REQUEST or not self.answering:
                continue
            for pop, rtt_ms in [("eu", 80), ("us", 5)]:
                self.sequence += 1
                body = latency_result_body(pop, [(client, rtt_ms) for client in request["clients"]])
                self.sock.sendto(probe_wire.seal(key, probe_wire.LATENCY_RESULT, "eu-probe1", self.sequence,
                                                 probe_wire.now_ms(), body), sender)


def test_latency_moves_with_its_clients_when_a_server_joins(procs, tmp_path):
    cluster = Cluster(procs, tmp_path, latency=True)
    measured = [[f"{cluster.base}.22"]] * PREFIXES  # us's cache: 5 ms against eu's 80
    with LatencyProbe(f"{cluster.base}.11", cluster.ports["latency"]) as probe:
        # Each prefix's owner has it measured when first asked (answering from the coverage zone,
        # eu, meanwhile) and then answers with us's cache.
        wait_until(lambda: cluster.choices(1, name=STATIC_NAME) == measured, timeout=20,
                   what="every prefix measured by its owner")
        assert cluster.choices(2, name=STATIC_NAME) == measured
        # Nothing is measured again from here on: a prefix that moves to the joining server is
        # answered from the measurements its old owner hands over, or from the coverage zone.
        probe.answering = False
        joined = add_third_server(cluster)
        for process in cluster.servers.values():
            wait_until(lambda: "latency measurements over" in process.log(), timeout=10, what="the handover")
        handed = sum(int(re.search(r"and (\d+) latency measurements over", p.log()).group(1))
                     for p in cluster.servers.values())
        # Two measurements (eu, us) for each moved prefix. (A server that answered a prefix itself
        # after a forward timeout had it measured too and hands that over as well, so the new
        # owner may take fewer than were sent.)
        wait_until(lambda: cluster.metric(3, "udn_dns_latency_prefixes") > PREFIXES / 6, timeout=5,
                   what="the joining server adopting the moved prefixes' measurements")
        assert cluster.choices(3, name=STATIC_NAME) == measured, "a moved client must keep its measured POP"
        assert cluster.choices(1, name=STATIC_NAME) == measured
        moved = cluster.metric(3, "udn_dns_latency_prefixes")
        assert PREFIXES / 6 < moved < PREFIXES * 2 / 3, f"{moved} of {PREFIXES} prefixes moved"
        assert 2 * moved <= cluster.metric(3, "udn_dns_cluster_latency_adopted") <= handed
        assert "handed" not in joined.log(), "the joining server had nothing to hand over"


def test_a_removed_server_hands_its_clients_latency_to_the_rest(procs, tmp_path):
    cluster = Cluster(procs, tmp_path, latency=True)
    measured = [[f"{cluster.base}.22"]] * PREFIXES
    with LatencyProbe(f"{cluster.base}.11", cluster.ports["latency"]) as probe:
        leaving = add_third_server(cluster)
        for process in cluster.servers.values():
            wait_until(lambda: "now serving configuration version 2" in process.log(), timeout=10, what="reload")
        # About a third of the prefixes are ap-ns1's now: it has them measured.
        wait_until(lambda: cluster.choices(1, name=STATIC_NAME) == measured, timeout=20,
                   what="every prefix measured by its owner")
        probe.answering = False
        # ap-ns1 is removed: at its reload it hands every measurement it holds to the remaining
        # owners, who accept it although (once reloaded) it is no longer one of theirs.
        cluster.config_path.write_text(cluster_config(cluster.base, cluster.ports, version=3, latency=True))
        for process in [*cluster.servers.values(), leaving]:
            process.signal(signal.SIGHUP)
        wait_until(lambda: "latency measurements over" in leaving.log(), timeout=10, what="the removed server's handover")
        handed = int(re.search(r"and (\d+) latency measurements over", leaving.log()).group(1))
        assert PREFIXES / 6 < handed / 2 < PREFIXES * 2 / 3, f"the removed server held {handed / 2} of {PREFIXES}"
        for process in cluster.servers.values():
            wait_until(lambda: "now serving configuration version 3" in process.log(), timeout=10, what="reload")

        def adopted():
            return sum(cluster.metric(i, "udn_dns_cluster_latency_adopted") for i in (1, 2))

        wait_until(lambda: adopted() >= PREFIXES / 6 * 2, timeout=5, what="the remaining servers adopting them")
        assert adopted() <= handed
        assert cluster.choices(1, name=STATIC_NAME) == measured, "a client of the removed server keeps its POP"
        assert cluster.choices(2, name=STATIC_NAME) == measured


def test_persistence_survives_a_restart(cluster):
    """A server stopped and started again (an upgrade) saves its persistence windows at the stop
    and reads them at the start: each client keeps its answer."""
    first = cluster.choices(1)
    old = cluster.servers["eu-ns1"]
    old.stop()
    saved = re.search(r"saved (\d+) persistence windows", old.log_path.read_text())
    assert saved and int(saved.group(1)) > 0, old.log_path.read_text()
    restarted = cluster.procs.udn("dns", "--config", cluster.config_path, "--server", "eu-ns1",
                                  "--state-dir", cluster.tmp_path / "eu-ns1")
    cluster.servers["eu-ns1"] = restarted
    # Readiness asked with a prefix outside the 40, so that it decides none of theirs afresh.
    wait_until(lambda: cluster.answers(1, "192.0.2.0"), timeout=20, what="the restarted server answering")
    assert f"restored {saved.group(1)} persistence windows" in restarted.log()
    assert cluster.choices(1) == first, "a client of the restarted server must keep its persistent answer"
    assert cluster.choices(2) == first
