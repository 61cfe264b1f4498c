"""`udn cache` over HTTPS: a certificate per customer name chosen by SNI (exact and wildcard),
unknown or absent SNI refused, keep-alive, MISS then HIT, the access log's scheme, session
resumption, certificate reload on SIGHUP, and `udn check` refusing broken certificates.
Certificates are made by the openssl command in each test's directory; none is checked in."""
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import warnings

import pytest

from conftest import free_port, run_udn, wait_for_tcp, wait_until
from test_cache_http import KEY, Net
import fake_origin

GLOBEX = """
[[customers]]
name = "globex"
zones = ["globex.test"]

  [[customers.origins]]
  name = "globex-origin"
  address = "{base}.11"
  port = {origin_port}

  [[customers.domains]]
  name = "static.globex.test"
  kind = "static"
  origins = ["globex-origin"]
  origin_host = "www.acme.test"

  [[customers.certificates]]
  names = ["*.globex.test"]
  cert = "{dir}/globex.pem"
  key = "{dir}/globex.key"
"""

ACME_CERT = """
  [[customers.certificates]]
  names = ["img.acme.test", "acme.cdn.test"]
  cert = "{dir}/acme.pem"
  key = "{dir}/acme.key"
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=udn test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)


def make_leaf(directory, stem, common_name, names):
    """A leaf certificate signed by the test CA, for `names` (subjectAltName)."""
    san = ",".join(f"DNS:{name}" for name in names)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", f"/CN={common_name}", "-addext", f"subjectAltName={san}",
            "-addext", "basicConstraints=critical,CA:FALSE", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-keyout", f"{stem}.key", "-out", f"{stem}.pem", cwd=directory)


def write_tls_config(path, base, ports, directory, acme_cert=ACME_CERT):
    http_port, admin_port, https_port, origin_port = ports
    fake_origin.write_config(path, base, http_port, admin_port, origin_port, KEY)
    text = pathlib.Path(path).read_text()
    text = text.replace("cache_admin =", f"https = {https_port}\ncache_admin =")
    text += acme_cert.format(dir=directory) + GLOBEX.format(base=base, origin_port=origin_port, dir=directory)
    pathlib.Path(path).write_text(text)


class TlsNet(Net):
    def __init__(self, procs, tmp_path):
        self.certs = tmp_path / "certs"
        self.certs.mkdir()
        make_ca(self.certs)
        make_leaf(self.certs, "acme", "img.acme.test", ["img.acme.test", "acme.cdn.test"])
        make_leaf(self.certs, "globex", "globex wildcard", ["*.globex.test"])
        super().__init__(procs, tmp_path)

    def start_cache(self):
        if not hasattr(self, "https_port"):
            self.https_port = free_port(self.cache_address)
            write_tls_config(self.config, self.base,
                             (self.http_port, self.admin_port, self.https_port, self.origin_port), self.certs)
        super().start_cache()
        wait_for_tcp(self.cache_address, self.https_port)

    def curl(self, *urls, host=None, extra=()):
        """curl -v over HTTPS, resolving every URL's host to the cache; returns (exit code, stdout, stderr)."""
        args = ["curl", "-sS", "-v", "--max-time", "20", "--cacert", str(self.certs / "ca.pem")]
        for url in urls:
            name = re.match(r"https://([^/:]+)", url).group(1)
            args += ["--resolve", f"{name}:{self.https_port}:{self.cache_address}"]
        if host:
            args += ["-H", f"Host: {host}"]
        args += list(extra)
        args += [url.replace("/PORT", f":{self.https_port}") for url in urls]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout, done.stderr

    def handshake(self, server_hostname, session=None):
        """A TLS connection with Python's ssl (for what curl cannot do: no SNI, session reuse)."""
        if not hasattr(self, "client_contexts"):  # a session resumes only on the context it came from
            self.client_contexts = {}
        key = server_hostname is not None
        if key not in self.client_contexts:
            self.client_contexts[key] = ssl.create_default_context(cafile=str(self.certs / "ca.pem"))
            self.client_contexts[key].check_hostname = key
        context = self.client_contexts[key]
        raw = socket.create_connection((self.cache_address, self.https_port), timeout=10)
        return context.wrap_socket(raw, server_hostname=server_hostname, session=session)

    def metric(self, name):
        import urllib.request
        with urllib.request.urlopen(f"http://{self.cache_address}:{self.admin_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return int(re.search(rf"^udn_cache_{name} (\d+)$", text, re.M).group(1))


@pytest.fixture
def tls_net(procs, tmp_path):
    return TlsNet(procs, tmp_path)


def subject_of(stderr):
    return re.search(r"subject: (.*)", stderr).group(1)


def test_each_customer_gets_its_own_certificate_and_miss_then_hit(tls_net):
    code, body, err = tls_net.curl("https://img.acme.test/PORT/t.txt?cc=max-age%3D60&size=300",
                                   extra=["-D", "-"])
    assert code == 0, err
    assert "CN=img.acme.test" in subject_of(err)
    assert "ALPN: server accepted http/1.1" in err
    assert "fwd=miss" in body
    code, body, err = tls_net.curl("https://img.acme.test/PORT/t.txt?cc=max-age%3D60&size=300",
                                   extra=["-D", "-"])
    assert code == 0 and re.search(r"cache-status: udn-testpop; hit", body, re.I), body
    assert tls_net.count("/t.txt") == 1
    # The path form on the customer's CDN name, same certificate.
    code, body, err = tls_net.curl("https://acme.cdn.test/PORT/www.acme.test/t.txt?cc=max-age%3D60&size=300")
    assert code == 0 and len(body) == 300 and "CN=img.acme.test" in subject_of(err)
    # The other customer's name matches its wildcard certificate.
    code, body, err = tls_net.curl("https://static.globex.test/PORT/g.txt?cc=max-age%3D60&size=10")
    assert code == 0 and len(body) == 10, err
    assert "CN=globex wildcard" in subject_of(err)
    # The access log says which requests came over HTTPS.
    log = tls_net.state / "spool" / "cache" / "current"
    wait_until(lambda: log.exists() and log.read_text().count("\thttps\n") >= 4, what="https access-log lines")
    first = log.read_text().splitlines()[0].split("\t")
    assert first[6] == "/t.txt?cc=max-age%3D60&size=300" and first[9] == "MISS" and first[13] == "https"


def test_unknown_or_absent_sni_is_refused(tls_net):
    code, _, err = tls_net.curl("https://unknown.acme.test/PORT/x")
    assert code == 35, err  # handshake failed
    assert "unrecognized name" in err.lower()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        tls_net.handshake(None)
    # A wildcard covers one label only.
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        tls_net.handshake("a.static.globex.test")
    assert tls_net.metric("tls_handshake_failures_total") >= 3
    # Plain HTTP on the HTTP port is unaffected.
    status, _, _ = tls_net.get("/www.acme.test/p.txt?size=3")
    assert status == 200


def test_old_protocols_refused(tls_net):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that the client itself offers TLS 1.1
    raw = socket.create_connection((tls_net.cache_address, tls_net.https_port), timeout=10)
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):  # the server's alert
        context.wrap_socket(raw, server_hostname="img.acme.test")
    raw.close()
    code, _, err = tls_net.curl("https://img.acme.test/PORT/v.txt?size=4", extra=["--tlsv1.2", "--tls-max", "1.2"])
    assert code == 0 and "TLSv1.2" in err, err


def test_keep_alive_and_host_must_match_the_certificate(tls_net):
    code, body, err = tls_net.curl("https://img.acme.test/PORT/k1.txt?size=7", "https://img.acme.test/PORT/k2.txt?size=9")
    assert code == 0 and len(body) == 16, err
    assert "Re-using existing connection" in err
    assert tls_net.metric("tls_handshakes_total") == 1
    # Another customer's host over this customer's certificate: 421 (no domain fronting).
    code, body, err = tls_net.curl("https://img.acme.test/PORT/f.txt?size=3", host="static.globex.test",
                                   extra=["-w", "%{http_code}"])
    assert code == 0 and body.endswith("421"), body
    assert tls_net.count("/f.txt") == 0


def test_session_resumption_and_reload_of_certificates(tls_net):
    first = tls_net.handshake("img.acme.test")
    first.sendall(b"GET /r.txt?size=2 HTTP/1.1\r\nHost: img.acme.test\r\nConnection: close\r\n\r\n")
    while first.recv(4096):
        pass
    session = first.session
    first.close()
    second = tls_net.handshake("img.acme.test", session=session)
    assert second.session_reused
    second.close()
    assert tls_net.metric("tls_resumed_total") >= 1
    # Renew the certificate in place and SIGHUP: new connections get the new one.
    make_leaf(tls_net.certs, "acme", "img.acme.test renewed", ["img.acme.test", "acme.cdn.test"])
    tls_net.cache.signal(signal.SIGHUP)
    wait_until(lambda: "HTTPS certificates reloaded" in tls_net.cache.log(), what="certificate reload")
    code, _, err = tls_net.curl("https://img.acme.test/PORT/x.txt?size=1")
    assert code == 0 and "CN=img.acme.test renewed" in subject_of(err), err
    # A broken renewal is refused and the running certificates stay.
    (tls_net.certs / "acme.key").write_text("not a key\n")
    tls_net.cache.signal(signal.SIGHUP)
    wait_until(lambda: "previous ones stay in use" in tls_net.cache.log(), what="refused reload")
    code, _, err = tls_net.curl("https://img.acme.test/PORT/x.txt?size=1")
    assert code == 0 and "CN=img.acme.test renewed" in subject_of(err), err


def test_check_refuses_broken_certificates(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    make_ca(certs)
    make_leaf(certs, "acme", "img.acme.test", ["img.acme.test"])
    make_leaf(certs, "globex", "globex wildcard", ["*.globex.test"])
    make_leaf(certs, "other", "other", ["img.acme.test"])
    config = tmp_path / "tls.toml"
    ports = (8080, 9180, 8443, 8081)

    def check(acme_cert):
        write_tls_config(config, "127.0.0", ports, certs, acme_cert=acme_cert)
        done = run_udn("check", config)
        line = next(i + 1 for i, text in enumerate(config.read_text().splitlines())
                    if text.strip() == "[[customers.certificates]]")
        return done, line

    done, _ = check(ACME_CERT.replace('"acme.cdn.test"', '"img.acme.test"').replace('"img.acme.test", ', ""))
    assert done.returncode == 0, done.stderr
    cases = [
        (ACME_CERT.replace("acme.pem", "missing.pem"), "cannot read it (No such file or directory)"),
        (ACME_CERT.replace("acme.key", "other.key"), "does not match"),
        (ACME_CERT, "does not cover 'acme.cdn.test' (its DNS names: img.acme.test)"),
        (ACME_CERT.replace('"acme.cdn.test"', '"www.globex.test"'), "is not one of customer 'acme''s names"),
    ]
    for acme_cert, message in cases:
        done, line = check(acme_cert)
        assert done.returncode == 2, done.stderr
        assert f"tls.toml:{line}: " in done.stderr and message in done.stderr, done.stderr
