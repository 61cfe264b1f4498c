"""End to end through a real recursive resolver: Debian's unbound, with stub zones pointing at
`udn dns` on loopback, resolves a dynamic name (customer origins) and a static name (POP
caches), and follows a CNAME into a GSLB name."""
import shutil
import socket

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import free_port, wait_until
from test_dns_server import Server, addresses

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"


@pytest.mark.skipif(not shutil.which("unbound") and not __import__("os").path.exists(UNBOUND),
                    reason="unbound not installed (deps/dns.list)")
def test_unbound_resolves_dynamic_and_static_names(procs, tmp_path):
    udn = Server(procs, tmp_path)
    resolver_address = f"{udn.base}.200"
    resolver_port = free_port(resolver_address, socket.SOCK_DGRAM)
    stub = f"{udn.address}@{udn.port}"
    config = tmp_path / "unbound.conf"
    config.write_text(f"""
server:
    interface: {resolver_address}
    port: {resolver_port}
    do-daemonize: no
    use-syslog: no
    logfile: ""
    verbosity: 1
    username: ""
    chroot: ""
    directory: "{tmp_path}"
    pidfile: "{tmp_path}/unbound.pid"
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    num-threads: 1
    do-ip6: no
    qname-minimisation: no
remote-control:
    control-enable: no
stub-zone:
    name: "acme.example"
    stub-addr: {stub}
stub-zone:
    name: "cdn.example"
    stub-addr: {stub}
stub-zone:
    name: "udn.example"
    stub-addr: {stub}
""")
    resolver = procs.start([UNBOUND, "-d", "-c", config], name="unbound")

    def resolve(name, rdtype="A"):
        query = dns.message.make_query(name, rdtype)  # RD set: a normal stub query
        return dns.query.udp(query, resolver_address, port=resolver_port, timeout=3)

    def answers_dynamic():
        try:
            return resolve("www.acme.example").rcode() == dns.rcode.NOERROR
        except Exception:
            return False

    wait_until(answers_dynamic, timeout=20, what="unbound resolving through udn")
    dynamic = resolve("www.acme.example")
    assert dynamic.flags & dns.flags.RA
    assert addresses(dynamic)[0] in (f"{udn.base}.101", f"{udn.base}.102")
    static = resolve("acme.cdn.example")
    assert addresses(static)[0] in (f"{udn.base}.2", f"{udn.base}.12")
    alias = resolve("alias.acme.example")
    assert addresses(alias)[0] in (f"{udn.base}.101", f"{udn.base}.102")
    assert resolve("nope.acme.example").rcode() == dns.rcode.NXDOMAIN
    assert resolver.alive()
