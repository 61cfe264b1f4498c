"""`udn origin`: the demo web server serves the sample site with validators, answers 304s and
HEAD, keeps connections alive, reports its load and never serves outside its root."""
import http.client
import json
import random
import socket

from conftest import REPO, free_port, loopback_base, wait_for_tcp

SITE = REPO / "examples" / "site"


def start_origin(procs, root=SITE):
    address = f"{loopback_base()}.{random.randint(1, 250)}"
    port = free_port(address)
    process = procs.udn("origin", "--root", root, "--listen", f"{address}:{port}", "--name", "mirror-x",
                        "--max-age-s", "90")
    wait_for_tcp(address, port)
    return process, address, port


def raw_request(address, port, target):
    """Sends the target byte-for-byte (no client-side normalisation of ../ or %2e)."""
    with socket.create_connection((address, port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply.decode(errors="replace")


def test_serves_site_with_headers_304_head_and_keepalive(procs):
    process, address, port = start_origin(procs)
    conn = http.client.HTTPConnection(address, port, timeout=5)
    conn.request("GET", "/")
    page = conn.getresponse()
    body = page.read()
    assert page.status == 200
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    assert int(page.getheader("Content-Length")) == len(body) == (SITE / "index.html").stat().st_size
    assert b"http://acme.cdn.example/www.acme.example/images/" in body
    assert page.getheader("Cache-Control") == "public, max-age=90"
    assert page.getheader("X-Served-By") == "mirror-x"
    etag, modified = page.getheader("ETag"), page.getheader("Last-Modified")
    assert etag and modified

    # Same connection (keep-alive) from here on.
    conn.request("GET", "/", headers={"If-None-Match": etag})
    cached = conn.getresponse()
    assert cached.status == 304 and cached.read() == b""
    assert cached.getheader("Content-Length") is None and cached.getheader("ETag") == etag
    conn.request("GET", "/index.html", headers={"If-Modified-Since": modified})
    since = conn.getresponse()
    assert since.status == 304 and since.read() == b""
    conn.request("HEAD", "/images/logo.svg")
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b""
    assert head.getheader("Content-Type") == "image/svg+xml"
    assert int(head.getheader("Content-Length")) == (SITE / "images/logo.svg").stat().st_size
    conn.request("GET", "/images/dot.png")
    png = conn.getresponse()
    assert png.getheader("Content-Type") == "image/png" and png.read()[:4] == b"\x89PNG"
    conn.request("GET", "/health")
    health = conn.getresponse()
    assert (health.status, health.read()) == (200, b"ok\n")
    conn.request("GET", "/load")
    load = json.loads(conn.getresponse().read())
    assert load["name"] == "mirror-x"
    assert load["connections"] >= 1 and load["requests"] >= 6
    assert load["mem_bytes"] > 0 and load["cpu"] >= 0
    conn.request("GET", "/metrics")
    metrics = conn.getresponse().read().decode()
    assert 'udn_origin_requests_total{code="2xx"}' in metrics
    assert 'udn_origin_requests_total{code="3xx"} 2' in metrics
    conn.close()
    assert process.stop() == 0


def test_refuses_traversal_in_every_encoding(procs, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "index.html").write_text("inside")
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    _, address, port = start_origin(procs, root)
    for target in ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
                   "/a/../../secret.txt", "/%252e%252e/secret.txt", "/..\\secret.txt", "/%2e%2e%5csecret.txt",
                   "//../secret.txt", "/bad%zz", "/nul%00.txt"]:
        reply = raw_request(address, port, target)
        status = int(reply.split(" ", 2)[1])
        assert status in (400, 404), (target, reply[:200])
        assert "TOP-SECRET" not in reply, target
    assert raw_request(address, port, "/").split(" ", 2)[1] == "200"
