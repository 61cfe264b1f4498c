"""`udn cache` against real origins (tests/system/fake_origin.py): MISS then HIT, routing that is
never an open proxy, collapsing, revalidation, stale-if-error, failover, purge, disk tier after
restart, and hostile input."""
import concurrent.futures
import http.client
import json
import os
import pathlib
import signal
import socket
import struct
import sys
import time
import urllib.request

import pytest

from conftest import free_port, loopback_base, run_udn, wait_for_tcp, wait_until
import fake_origin

KEY = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
HERE = pathlib.Path(__file__).resolve().parent


class Net:
    def __init__(self, procs, tmp_path, cache_args=()):
        self.procs = procs
        self.tmp_path = tmp_path
        self.base = loopback_base()
        self.cache_address = f"{self.base}.2"
        self.http_port = free_port(self.cache_address)
        self.admin_port = free_port(self.cache_address)
        self.origin_port = free_port(f"{self.base}.11")
        self.config = tmp_path / "net.toml"
        self.state = tmp_path / "state"
        fake_origin.write_config(self.config, self.base, self.http_port, self.admin_port, self.origin_port, KEY)
        self.origins = {}
        for name, last in (("mirror-1", 11), ("mirror-2", 12)):
            self.start_origin(name, last)
        self.cache_args = list(cache_args)
        self.cache = None
        self.start_cache()

    def start_origin(self, name, last):
        address = f"{self.base}.{last}"
        self.origins[name] = (self.procs.start(
            ["/usr/bin/python3", str(HERE / "fake_origin.py"), address, self.origin_port, name], name=name), address)
        wait_for_tcp(address, self.origin_port)

    def start_cache(self):
        self.cache = self.procs.udn("cache", "--config", self.config, "--server", "cache1",
                                    "--state-dir", self.state, "--memory-mb", "64", "--disk-mb", "64",
                                    *self.cache_args)
        wait_for_tcp(self.cache_address, self.http_port)
        wait_for_tcp(self.cache_address, self.admin_port)

    def get(self, path, host="acme.cdn.test", method="GET", headers=None, body=None):
        connection = http.client.HTTPConnection(self.cache_address, self.http_port, timeout=20)
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data

    def stats(self, name="mirror-1"):
        _, address = self.origins[name]
        with urllib.request.urlopen(f"http://{address}:{self.origin_port}/__stats", timeout=5) as response:
            return json.loads(response.read())

    def count(self, path, name=None):
        names = [name] if name else [n for n, (p, _) in self.origins.items() if p.alive()]
        return sum(self.stats(n)["requests"].get(path, 0) for n in names)

    def raw(self, data, read_timeout=5.0):
        with socket.create_connection((self.cache_address, self.http_port), timeout=read_timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except (socket.timeout, ConnectionResetError):
                pass
            return b"".join(chunks)


@pytest.fixture
def net(procs, tmp_path):
    return Net(procs, tmp_path)


def test_miss_then_hit_origin_sees_one_request(net):
    status, headers, body = net.get("/www.acme.test/a.txt?cc=max-age%3D60&size=5000")
    assert status == 200 and len(body) == 5000
    assert "fwd=miss" in headers["cache-status"] and headers["cache-status"].startswith("udn-testpop")
    status, headers, body2 = net.get("/www.acme.test/a.txt?cc=max-age%3D60&size=5000")
    assert status == 200 and body2 == body
    assert "hit" in headers["cache-status"].split(";")[1]
    assert int(headers["age"]) >= 0
    assert net.count("/a.txt") == 1
    # HEAD is answered from the same stored object.
    status, headers, body3 = net.get("/www.acme.test/a.txt?cc=max-age%3D60&size=5000", method="HEAD")
    assert status == 200 and body3 == b"" and headers["content-length"] == "5000"
    assert net.count("/a.txt") == 1


def test_virtual_host_sends_configured_origin_host(net):
    status, headers, body = net.get("/v.txt?cc=max-age%3D60&echo=Host", host="img.acme.test")
    assert status == 200 and body == b"www.acme.test"
    status, headers, _ = net.get("/v.txt?cc=max-age%3D60&echo=Host", host="IMG.acme.test:80")
    assert "hit" in headers["cache-status"]


def test_never_an_open_proxy(net):
    status, _, _ = net.get("/x", host="evil.example")
    assert status == 421
    status, _, _ = net.get("/evil.example/x", host="acme.cdn.test")
    assert status == 404
    status, _, _ = net.get("/x", host="www.acme.test")  # a dynamic name is not served by caches
    assert status == 421
    status, _, _ = net.get(f"http://{net.base}.11:{net.origin_port}/x", host="acme.cdn.test")
    assert status == 421
    assert net.stats()["requests"] == {}


def test_collapsing_200_concurrent_misses(net):
    path = "/www.acme.test/slow.bin?cc=max-age%3D60&size=20000&delay_ms=700"

    def fetch(_):
        return net.get(path)

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(fetch, range(200)))
    assert all(status == 200 and len(body) == 20000 for status, _, body in results)
    assert len({body for _, _, body in results}) == 1
    assert net.count("/slow.bin") == 1
    assert sum("collapsed" in h["cache-status"] for _, h, _ in results) >= 150


def test_revalidation_gets_304_from_origin(net):
    path = "/www.acme.test/r.txt?cc=max-age%3D3&etag=v1"
    _, _, body = net.get(path)
    time.sleep(4.2)
    status, headers, body2 = net.get(path)
    assert status == 200 and body2 == body
    assert "fwd-status=304" in headers["cache-status"]
    assert net.stats()["not_modified"] == 1
    status, headers, _ = net.get(path)
    assert "hit" in headers["cache-status"]
    # Client conditionals are answered from the cache.
    status, headers, body3 = net.get(path, headers={"If-None-Match": '"v1"'})
    assert status == 304 and body3 == b""
    assert net.count("/r.txt") == 2


def test_stale_if_error_when_origins_are_down(net):
    path = "/www.acme.test/s.txt?cc=max-age%3D1%2C%20stale-if-error%3D300"
    _, _, body = net.get(path)
    for process, _ in net.origins.values():
        process.stop()
    time.sleep(2.2)
    status, headers, body2 = net.get(path)
    assert status == 200 and body2 == body
    assert "stale-if-error" in headers["cache-status"]
    status, headers, _ = net.get("/www.acme.test/never-seen.txt")
    assert status == 502


def test_failover_to_the_second_mirror(net):
    net.origins["mirror-1"][0].stop()
    status, headers, _ = net.get("/www.acme.test/f.txt?cc=max-age%3D60")
    assert status == 200 and headers["x-origin"] == "mirror-2"
    net.origins["mirror-2"][0].stop()
    net.start_origin("mirror-1", 11)
    status, headers, _ = net.get("/www.acme.test/f2.txt?cc=max-age%3D60")
    assert status == 200 and headers["x-origin"] == "mirror-1"


def test_failover_on_5xx(net):
    urllib.request.urlopen(urllib.request.Request(
        f"http://{net.base}.11:{net.origin_port}/__fail?status=503", method="POST"), timeout=5).read()
    status, headers, _ = net.get("/www.acme.test/g.txt?cc=max-age%3D60")
    assert status == 200 and headers["x-origin"] == "mirror-2"


def flush(net, *args):
    return run_udn("admin", "flush", "--config", net.config, *args)


def test_purge_url_prefix_and_site(net):
    paths = ["/www.acme.test/p/a.txt?cc=max-age%3D600", "/www.acme.test/p/b.txt?cc=max-age%3D600",
             "/www.acme.test/q/c.txt?cc=max-age%3D600"]
    for path in paths:
        net.get(path)
        net.get(path)
    assert [net.count(p.split("?")[0][len("/www.acme.test"):]) for p in paths] == [1, 1, 1]
    result = flush(net, "http://acme.cdn.test" + paths[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cache1" in result.stdout and "ok" in result.stdout
    net.get(paths[0])
    net.get(paths[1])
    assert net.count("/p/a.txt") == 2 and net.count("/p/b.txt") == 1
    assert flush(net, "--prefix", "http://acme.cdn.test/www.acme.test/p/").returncode == 0
    net.get(paths[0]); net.get(paths[1]); net.get(paths[2])
    assert net.count("/p/a.txt") == 3 and net.count("/p/b.txt") == 2 and net.count("/q/c.txt") == 1
    assert flush(net, "--site", "www.acme.test").returncode == 0
    net.get(paths[2])
    assert net.count("/q/c.txt") == 2


def test_purge_during_a_fill_is_not_undone_by_it(net):
    """A fetch that began before a purge must neither store its (pre-purge) answer afterwards nor
    be joined by requests that came after the purge."""
    path = "/www.acme.test/inflight.bin?cc=max-age%3D600&size=3000&delay_ms=1200"
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(net.get, path)
        wait_until(lambda: net.count("/inflight.bin") == 1, timeout=5, what="the first fetch at the origin")
        assert flush(net, "http://acme.cdn.test" + path).returncode == 0
        after = pool.submit(net.get, path)
        wait_until(lambda: net.count("/inflight.bin") == 2, timeout=5, what="a fetch of its own for the request after the purge")
        (status_before, _, body_before), (status_after, headers_after, body_after) = before.result(), after.result()
    assert status_before == 200 and status_after == 200 and len(body_before) == len(body_after) == 3000
    assert "collapsed" not in headers_after["cache-status"]
    # The fetch begun after the purge stored its answer; the one from before did not overwrite it
    # after the fact: a new request is a hit, and the origin saw exactly the two fetches.
    _, headers, _ = net.get(path)
    assert "hit" in headers["cache-status"] and net.count("/inflight.bin") == 2

    # Alone: the purged fetch completes after the purge and must leave nothing stored.
    lone = "/www.acme.test/lone.bin?cc=max-age%3D600&size=3000&delay_ms=1200"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(net.get, lone)
        wait_until(lambda: net.count("/lone.bin") == 1, timeout=5, what="the fetch at the origin")
        assert flush(net, "--prefix", "http://acme.cdn.test/www.acme.test/lone").returncode == 0
        assert pending.result()[0] == 200
    _, headers, _ = net.get(lone)
    assert "fwd=miss" in headers["cache-status"] and net.count("/lone.bin") == 2


def test_purge_needs_authentication(net):
    request = urllib.request.Request(f"http://{net.cache_address}:{net.admin_port}/purge?all=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 401
    with urllib.request.urlopen(f"http://{net.cache_address}:{net.admin_port}/metrics", timeout=5) as response:
        assert b"udn_cache_requests_total" in response.read()


def test_disk_tier_survives_restart(net):
    path = "/www.acme.test/d.bin?cc=max-age%3D600&size=300000"
    _, _, body = net.get(path)
    net.get(path)
    assert net.cache.stop() == 0
    net.start_cache()
    status, headers, body2 = net.get(path)
    assert status == 200 and body2 == body and "hit" in headers["cache-status"]
    assert net.count("/d.bin") == 1


def test_a_second_cache_on_the_same_state_directory_is_refused(net):
    # It would write the same disk tier and spool as the running one.
    path = "/www.acme.test/second.bin?cc=max-age%3D600&size=1000"
    assert net.get(path)[0] == 200
    second = run_udn("cache", "--config", net.config, "--server", "cache1", "--state-dir", net.state,
                     "--memory-mb", "64", "--disk-mb", "64", timeout=30)
    assert second.returncode == 1, second.stdout + second.stderr
    said = second.stdout + second.stderr
    assert f"another udn cache (pid {net.cache.pid}) is running with the state directory {net.state}" in said, said
    status, headers, _ = net.get(path)
    assert status == 200 and "hit" in headers["cache-status"], "the running cache serves on, its store intact"
    assert (net.state / "run" / "cache.pid").read_text().strip() == str(net.cache.pid)


def test_disk_tier_after_kill_9_never_serves_truncated(net):
    path = "/www.acme.test/k.bin?cc=max-age%3D600&size=200000"
    _, _, body = net.get(path)
    time.sleep(0.5)
    os.kill(net.cache.pid, signal.SIGKILL)
    net.cache.popen.wait()
    # Damage the stored file the way a torn write would.
    files = [p for p in (net.state / "cache" / "objects").rglob("*") if p.is_file()]
    assert files
    for path_on_disk in files:
        with open(path_on_disk, "r+b") as f:
            f.truncate(path_on_disk.stat().st_size // 2)
    net.start_cache()
    status, headers, body2 = net.get(path)
    assert status == 200 and body2 == body and "fwd=miss" in headers["cache-status"]


def test_private_no_store_and_cookies_are_not_shared(net):
    for query in ("cc=private%2C%20max-age%3D60", "cc=no-store", "cc=max-age%3D60&cookie=1"):
        path = f"/www.acme.test/priv.txt?{query}"
        net.get(path)
        _, headers, _ = net.get(path)
        assert "hit" not in headers["cache-status"], query
    assert net.count("/priv.txt") == 6
    net.get("/www.acme.test/auth.txt?cc=max-age%3D60", headers={"Authorization": "Basic eDp5"})
    net.get("/www.acme.test/auth.txt?cc=max-age%3D60", headers={"Authorization": "Basic eDp5"})
    assert net.count("/auth.txt") == 2


def test_vary_keeps_variants_apart(net):
    path = "/www.acme.test/vary.txt?cc=max-age%3D60&vary=Accept-Language&echo=Accept-Language"
    assert net.get(path, headers={"Accept-Language": "en"})[2] == b"en"
    assert net.get(path, headers={"Accept-Language": "de"})[2] == b"de"
    _, headers, body = net.get(path, headers={"Accept-Language": "en"})
    assert body == b"en" and "hit" in headers["cache-status"]
    assert net.count("/vary.txt") == 2


def test_unkeyed_headers_never_reach_the_origin(net):
    path = "/www.acme.test/poison.txt?cc=max-age%3D60&echo=X-Forwarded-Host"
    _, _, body = net.get(path, headers={"X-Forwarded-Host": "evil.example"})
    assert body == b"-"
    seen = net.stats()["headers"]["/poison.txt"]
    assert "x-forwarded-host" not in seen and seen["host"] == "www.acme.test"


def test_chunked_from_origin_streams_and_unsafe_methods_invalidate(net):
    path = "/www.acme.test/c.bin?cc=max-age%3D60&chunked=1&size=5000"
    status, headers, body = net.get(path)
    assert status == 200 and len(body) == 5000
    status, headers, body2 = net.get(path)
    assert body2 == body and headers.get("content-length") == "5000"
    status, _, posted = net.get("/www.acme.test/c.bin?cc=max-age%3D60&chunked=1&size=5000", method="POST",
                                body=b"5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"})
    assert status == 200 and posted == b"posted:hello"
    _, headers, _ = net.get(path)
    assert "fwd=miss" in headers["cache-status"]


def test_pipelined_requests_are_answered_in_order(net):
    request = b"GET /www.acme.test/%s?cc=max-age%%3D60 HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n"
    data = request % b"one.txt" + request % b"two.txt" + \
        b"GET /www.acme.test/three.txt HTTP/1.1\r\nHost: acme.cdn.test\r\nConnection: close\r\n\r\n"
    reply = net.raw(data)
    assert reply.count(b"HTTP/1.1 200 OK") == 3
    assert reply.index(b"one.txt") < reply.index(b"two.txt") < reply.index(b"three.txt")


@pytest.mark.parametrize("request_bytes, status", [
    (b"POST /www.acme.test/x HTTP/1.1\r\nHost: acme.cdn.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
    (b"POST /www.acme.test/x HTTP/1.1\r\nHost: acme.cdn.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", b"400"),
    (b"GET /www.acme.test/x HTTP/1.1\r\nHost: acme.cdn.test\r\nX: a\r\n b\r\n\r\n", b"400"),
    (b"GET /www.acme.test/x HTTP/1.1\nHost: acme.cdn.test\n\n", b"400"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n", b"414"),
    (b"GET / HTTP/1.1\r\nHost: acme.cdn.test\r\nX: " + b"b" * 20000 + b"\r\n\r\n", b"431"),
    (b"GET /www.acme.test/../../etc/passwd HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n", b"400"),
    (b"GET /www.acme.test/%2e%2e/x HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n", b"400"),
    (b"CONNECT www.acme.test:443 HTTP/1.1\r\nHost: www.acme.test\r\n\r\n", b"421"),
    (b"TRACE /www.acme.test/x HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n", b"405"),
])
def test_hostile_requests_are_refused(net, request_bytes, status):
    reply = net.raw(request_bytes)
    assert reply.startswith(b"HTTP/1.1 " + status), reply[:200]
    assert net.stats()["requests"] == {}


def test_slow_clients_and_connection_limit(procs, tmp_path):
    net = Net(procs, tmp_path, cache_args=["--request-timeout-ms", "500", "--max-connections", "4"])
    idle = [socket.create_connection((net.cache_address, net.http_port)) for _ in range(4)]
    time.sleep(0.2)
    extra = net.raw(b"GET / HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n")
    assert extra.startswith(b"HTTP/1.1 503")
    for s in idle:
        s.settimeout(3)
        assert s.recv(100) == b""  # closed by the header timeout
        s.close()
    slow = socket.create_connection((net.cache_address, net.http_port))
    slow.sendall(b"GET /www.acme.test/x HTTP/1.1\r\nHost: acme")
    slow.settimeout(3)
    assert slow.recv(100) == b""
    slow.close()


def test_access_log_spool(net):
    net.get("/www.acme.test/log.txt?cc=max-age%3D60")
    net.get("/www.acme.test/log.txt?cc=max-age%3D60")
    spool = net.state / "spool" / "cache"

    def lines():
        found = []
        for f in [*sorted(spool.glob("ready/*")), spool / "current"]:
            if not f.exists():
                continue
            found += [line.split("\t") for line in f.read_text().splitlines()]
        return found if len(found) >= 2 else None
    found = wait_until(lines, timeout=5, what="access log lines")
    assert [f[9] for f in found[:2]] == ["MISS", "HIT"]
    first = found[0]
    assert first[1] == "testpop" and first[3] == "acme.cdn.test" and first[4] == "acme" and first[7] == "200"
    assert first[12] == "mirror-1"


def test_ranges_are_served_from_the_stored_object(net):
    path = "/www.acme.test/range.bin?cc=max-age%3D60&size=1000"
    _, _, body = net.get(path)
    status, headers, part = net.get(path, headers={"Range": "bytes=10-19"})
    assert status == 206 and part == body[10:20] and headers["content-range"] == "bytes 10-19/1000"
    status, _, part = net.get(path, headers={"Range": "bytes=-5"})
    assert status == 206 and part == body[-5:]
    status, headers, _ = net.get(path, headers={"Range": "bytes=5000-"})
    assert status == 416 and headers["content-range"] == "bytes */1000"
    status, _, whole = net.get(path, headers={"Range": "bytes=0-1", "If-Range": '"other"'})
    assert status == 200 and whole == body
    assert net.count("/range.bin") == 1


@pytest.mark.parametrize("size", [100000, 300000])
def test_large_hits_from_a_memory_file_keep_framing(net, size):
    # Bodies >= 64 KiB of known length are kept in a memory file; hits on ones under
    # --sendfile-below-kb (256) go out with sendfile(2), larger ones by copy (docs/cache.md):
    # same bytes either way, and a keep-alive connection stays in step after them.
    path = b"/www.acme.test/large%d.bin?cc=max-age%%3D600&size=%d" % (size, size)
    status, _, first = net.get(path.decode())
    assert status == 200 and len(first) == size
    request = b"GET " + path + b" HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n"
    reply = net.raw(request + request + b"HEAD " + path + b" HTTP/1.1\r\nHost: acme.cdn.test\r\nConnection: close\r\n\r\n",
                    read_timeout=10)
    for _ in range(2):
        head, _, rest = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: %d" % size in head.lower()
        assert b"; hit" in head
        assert rest[:size] == first
        reply = rest[size:]
    assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"\r\n\r\n")
    assert net.count(f"/large{size}.bin") == 1


def test_a_client_abandoning_a_large_hit_costs_only_its_connection(net):
    # sendfile(2) has no MSG_NOSIGNAL: a client resetting its connection mid-body once killed the
    # cache with SIGPIPE (wrk closing its connections after a benchmark run did). udn ignores SIGPIPE.
    sig_ignored = next(line for line in pathlib.Path(f"/proc/{net.cache.popen.pid}/status").read_text().splitlines()
                       if line.startswith("SigIgn:"))
    assert int(sig_ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)), sig_ignored
    path = b"/www.acme.test/abandoned.bin?cc=max-age%3D600&size=4000000"
    status, _, first = net.get(path.decode())
    assert status == 200 and len(first) == 4000000
    for _ in range(5):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        s.connect((net.cache_address, net.http_port))
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: acme.cdn.test\r\n\r\n" * 3)
        assert s.recv(100)
        # Unread data at close makes the kernel send a reset; the cache's next sends fail.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    fetched = net.count("/abandoned.bin")
    time.sleep(0.3)
    assert net.cache.alive(), "the cache died"
    status, _, again = net.get(path.decode())
    assert status == 200 and again == first
    assert net.count("/abandoned.bin") == fetched
