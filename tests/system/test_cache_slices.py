"""`udn cache` with a site's slice_bytes: large objects fetched from the origin in Range slices
and cached slice by slice (tests/system/slice_origin.py logs every Range it is asked for).
A range miss fetches only its slices, a full GET only the missing ones, byte-exact; an object
changed at the origin is never spliced (ETag or Last-Modified);
concurrent misses collapse per slice; an origin without ranges gets whole-object caching;
purge removes every slice; slices survive a restart on the disk tier; a stale sliced object is
revalidated through its anchor slice (304), served stale while revalidating and on origin errors."""
import concurrent.futures
import hashlib
import http.client
import json
import pathlib
import time
import urllib.request

import pytest

from conftest import free_port, loopback_base, run_udn, wait_for_tcp, wait_until
import fake_origin
import slice_origin

KEY = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"
HERE = pathlib.Path(__file__).resolve().parent
SLICE = 16384
SIZE = 100000  # 7 slices, the last one 1,696 bytes


def slice_ranges(*indexes):
    return ["bytes=%d-%d" % (i * SLICE, (i + 1) * SLICE - 1) for i in indexes]


class Net:
    def __init__(self, procs, tmp_path):
        self.procs = procs
        self.base = loopback_base()
        self.cache_address = f"{self.base}.2"
        self.http_port = free_port(self.cache_address)
        self.admin_port = free_port(self.cache_address)
        self.origin_address = f"{self.base}.11"
        self.origin_port = free_port(self.origin_address)
        self.config = tmp_path / "net.toml"
        self.state = tmp_path / "state"
        fake_origin.write_config(self.config, self.base, self.http_port, self.admin_port, self.origin_port, KEY)
        text = self.config.read_text().replace('origin_host = "www.acme.test"\n',
                                               f'origin_host = "www.acme.test"\n  slice_bytes = {SLICE}\n')
        assert f"slice_bytes = {SLICE}" in text
        self.config.write_text(text)
        procs.start(["/usr/bin/python3", str(HERE / "slice_origin.py"), self.origin_address, self.origin_port],
                    name="slice-origin")
        wait_for_tcp(self.origin_address, self.origin_port)
        self.start_cache()

    def start_cache(self):
        self.cache = self.procs.udn("cache", "--config", self.config, "--server", "cache1", "--state-dir", self.state,
                                    "--memory-mb", "64", "--disk-mb", "64")
        wait_for_tcp(self.cache_address, self.http_port)

    def get(self, path, method="GET", headers=None):
        connection = http.client.HTTPConnection(self.cache_address, self.http_port, timeout=20)
        connection.request(method, path, headers={"Host": "img.acme.test", **(headers or {})})
        response = connection.getresponse()
        try:
            data = response.read()
        except http.client.IncompleteRead as short:
            data = short.partial
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def origin(self, method, path):
        request = urllib.request.Request(f"http://{self.origin_address}:{self.origin_port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read()

    def log(self):
        """The Range headers the origin received since the last call."""
        entries = json.loads(self.origin("GET", "/__log"))
        self.origin("POST", "/__reset")
        return [range_header for _, range_header in entries]


@pytest.fixture
def net(procs, tmp_path):
    return Net(procs, tmp_path)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_ranges_fetch_only_missing_slices_and_full_get_is_exact(net):
    path = f"/big.bin?size={SIZE}"
    whole = slice_origin.body_of(SIZE, 1)
    status, headers, body = net.get(path, headers={"Range": "bytes=20000-40000"})
    assert status == 206 and body == whole[20000:40001]
    assert headers["content-range"] == f"bytes 20000-40000/{SIZE}"
    assert "fwd=miss" in headers["cache-status"]
    assert net.log() == slice_ranges(1, 2)
    # Overlapping: slice 2 is cached, only slice 3 is fetched.
    status, headers, body = net.get(path, headers={"Range": "bytes=45000-60000"})
    assert status == 206 and body == whole[45000:60001]
    assert "fwd=partial" in headers["cache-status"]
    assert net.log() == slice_ranges(3)
    status, headers, body = net.get(path, headers={"Range": "bytes=45000-60000"})
    assert status == 206 and body == whole[45000:60001] and "hit" in headers["cache-status"]
    # The full object: the remaining slices only, streamed in order, byte-exact.
    status, headers, body = net.get(path)
    assert status == 200 and headers["content-length"] == str(SIZE) and sha(body) == sha(whole)
    assert "content-range" not in headers and headers["etag"] == '"v1"'
    assert net.log() == slice_ranges(0, 4, 5, 6)
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(whole) and "hit" in headers["cache-status"]
    status, headers, body = net.get(path, method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(SIZE)
    # The end, a suffix, beyond the end, and an If-Range that no longer matches.
    status, headers, body = net.get(path, headers={"Range": "bytes=99990-"})
    assert status == 206 and body == whole[99990:] and headers["content-range"] == f"bytes 99990-99999/{SIZE}"
    status, _, body = net.get(path, headers={"Range": "bytes=-5"})
    assert status == 206 and body == whole[-5:]
    status, headers, _ = net.get(path, headers={"Range": f"bytes={SIZE}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{SIZE}"
    status, _, body = net.get(path, headers={"Range": "bytes=0-9", "If-Range": '"v0"'})
    assert status == 200 and sha(body) == sha(whole)
    status, headers, _ = net.get(path, headers={"If-None-Match": '"v1"'})
    assert status == 304
    assert net.log() == []
    # A range starting inside a slice that is still arriving.
    status, _, body = net.get(f"/slow.bin?size={SIZE}&slow=1", headers={"Range": "bytes=30000-40000"})
    assert status == 206 and body == whole[30000:40001]
    assert net.log() == slice_ranges(1, 2)
    # A cold range beyond the end asks for its slice, then slice 0 for the length.
    status, headers, _ = net.get(f"/cold.bin?size={SIZE}", headers={"Range": "bytes=200000-"})
    assert status == 416 and headers["content-range"] == f"bytes */{SIZE}"
    assert net.log() == ["bytes=196608-212991"] + slice_ranges(0)


def test_changed_object_is_never_spliced(net):
    path = f"/changing.bin?size={SIZE}"
    old = slice_origin.body_of(SIZE, 1)
    new = slice_origin.body_of(SIZE, 2)
    status, _, body = net.get(path, headers={"Range": "bytes=0-20000"})
    assert status == 206 and body == old[:20001]
    assert net.log() == slice_ranges(0, 1)
    net.origin("POST", "/__version?v=2")
    # Slices 0-1 are served from the cache, slice 2 comes back as another version: the
    # response stops short (the client sees less than Content-Length), never with new bytes.
    status, headers, body = net.get(path)
    assert status == 200 and headers["content-length"] == str(SIZE)
    assert len(body) < SIZE and body == old[:len(body)]
    assert net.log() == slice_ranges(2)
    with urllib.request.urlopen(f"http://{net.cache_address}:{net.admin_port}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    assert "udn_cache_slice_version_changes_total 1" in metrics and "udn_cache_slice_fetches_total 3" in metrics
    # The old slices were dropped: the next request gets the new version whole.
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(new) and headers["etag"] == '"v2"'
    # (slice 2 of v2, fetched above, is kept unless it was still being stored)
    assert [r for r in net.log() if r not in slice_ranges(2)] == slice_ranges(0, 1, 3, 4, 5, 6)
    # A range whose first slice is of another version than the stored ones starts over.
    net.origin("POST", "/__version?v=3")
    status, headers, body = net.get(path, headers={"Range": "bytes=1000-2000", "Cache-Control": "no-cache"})
    assert status == 206 and body == slice_origin.body_of(SIZE, 3)[1000:2001]


def test_origin_without_ranges_and_small_objects_are_cached_whole(net):
    path = f"/plain.bin?size={SIZE}&ranges=0"
    whole = slice_origin.body_of(SIZE, 1)
    status, headers, body = net.get(path, headers={"Range": "bytes=20000-40000"})
    assert status in (200, 206) and (body == whole or body == whole[20000:40001])
    status, headers, body = net.get(path, headers={"Range": "bytes=20000-40000"})
    assert status == 206 and body == whole[20000:40001] and "hit" in headers["cache-status"]
    assert net.log() == slice_ranges(1)
    # Smaller than a slice: one Range request whose 206 holds it all, stored as a plain 200.
    small = slice_origin.body_of(5000, 1)
    status, headers, body = net.get("/small.bin?size=5000")
    assert status == 200 and body == small and headers["content-length"] == "5000"
    status, headers, body = net.get("/small.bin?size=5000", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == small[10:20] and "hit" in headers["cache-status"]
    assert net.log() == slice_ranges(0)
    # Without any validator too: the whole object came in one answer, nothing to splice.
    status, headers, body = net.get("/bare.bin?size=5000&validator=none")
    assert status == 200 and body == small and "etag" not in headers
    assert "hit" in net.get("/bare.bin?size=5000&validator=none")[1]["cache-status"]
    assert net.log() == slice_ranges(0)


def origin_not_modified(net):
    return json.loads(net.origin("GET", "/__stats"))["not_modified"]


def test_stale_sliced_objects_are_revalidated_and_served_stale(net):
    whole = slice_origin.body_of(SIZE, 1)
    revalidated = f"/rv.bin?size={SIZE}&cc=max-age%3D1"
    while_revalidating = f"/swr.bin?size={SIZE}&cc=max-age%3D1%2C%20stale-while-revalidate%3D60"
    if_error = f"/sie.bin?size={SIZE}&cc=max-age%3D1%2C%20stale-if-error%3D60&validator=lm"
    for path in (revalidated, while_revalidating, if_error):
        assert sha(net.get(path)[2]) == sha(whole)
    net.log()
    time.sleep(1.3)
    # Stale: the anchor (slice 0) is asked for conditionally; the 304 refreshes it, and with it
    # every stored slice of its version; no slice body crosses again.
    status, headers, body = net.get(revalidated)
    assert status == 200 and sha(body) == sha(whole)
    assert "fwd=stale; fwd-status=304" in headers["cache-status"]
    assert net.log() == slice_ranges(0) and origin_not_modified(net) == 1
    # A range's anchor is its own first slice (slice 3 here), revalidated the same way.
    status, headers, body = net.get(revalidated, headers={"Range": "bytes=50000-50009"})
    assert status == 206 and body == whole[50000:50010] and "fwd-status=304" in headers["cache-status"]
    assert net.log() == slice_ranges(3) and origin_not_modified(net) == 2
    # stale-while-revalidate: answered at once from the stored slices, the anchor refreshed behind.
    status, headers, body = net.get(while_revalidating)
    assert status == 200 and sha(body) == sha(whole) and "detail=stale-while-revalidate" in headers["cache-status"]
    wait_until(lambda: origin_not_modified(net) == 3, timeout=5, what="the background revalidation")
    # The origin counts its 304 when it sends it; the cache stores the refresh a moment later, and
    # a request in between still joins that one fetch (served stale, no second revalidation).
    def unless_stale(cache_status):
        return None if "stale" in cache_status else cache_status

    cache_status = wait_until(lambda: unless_stale(net.get(while_revalidating)[1]["cache-status"]), timeout=5,
                              what="the refreshed anchor to be served without 'stale'")
    assert cache_status.startswith("udn-testpop; hit")
    assert origin_not_modified(net) == 3 and net.log() == slice_ranges(0)
    # stale-if-error (Last-Modified validator): the origin fails, the stored slices are served.
    net.origin("POST", "/__fail?status=503")
    try:
        status, headers, body = net.get(if_error)
        assert status == 200 and sha(body) == sha(whole)
        assert "detail=stale-if-error" in headers["cache-status"]
    finally:
        net.origin("POST", "/__fail?status=0")
    # Once the origin is back, the next request revalidates for real.
    status, headers, body = net.get(if_error)
    assert status == 200 and sha(body) == sha(whole) and "fwd-status=304" in headers["cache-status"]


def flush(net, *args):
    result = run_udn("admin", "flush", "--config", net.config, *args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_purge_removes_every_slice_and_disk_keeps_them(net):
    path = f"/purged.bin?size={SIZE}"
    whole = slice_origin.body_of(SIZE, 1)
    assert sha(net.get(path)[2]) == sha(whole)
    assert net.log() == slice_ranges(0, 1, 2, 3, 4, 5, 6)
    flush(net, f"http://img.acme.test{path}")
    assert sha(net.get(path)[2]) == sha(whole)
    assert net.log() == slice_ranges(0, 1, 2, 3, 4, 5, 6)
    flush(net, "--prefix", "http://img.acme.test/purged")
    status, _, body = net.get(path, headers={"Range": "bytes=70000-70009"})
    assert status == 206 and body == whole[70000:70010]
    assert net.log() == slice_ranges(4)
    # The disk tier after a restart: every slice comes back from disk, nothing from the origin.
    assert sha(net.get(path)[2]) == sha(whole)
    assert net.log() == slice_ranges(0, 1, 2, 3, 5, 6)
    assert net.cache.stop() == 0
    net.start_cache()
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(whole) and "hit" in headers["cache-status"]
    flush(net, "--site", "img.acme.test")
    status, headers, body = net.get(path, headers={"Range": "bytes=0-9"})
    assert status == 206 and body == whole[:10]
    assert net.log() == slice_ranges(0)


def test_concurrent_misses_collapse_per_slice_and_last_modified_ties_versions(net):
    path = f"/shared.bin?size={SIZE}&slow=1&validator=lm"
    whole = slice_origin.body_of(SIZE, 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: net.get(path, headers={"Range": "bytes=20000-40000"}), range(8)))
    assert all(status == 206 and body == whole[20000:40001] for status, _, body in results)
    assert sorted(net.log()) == slice_ranges(1, 2)
    # Versions told apart by Last-Modified alone: slice 0 comes as version 2, the stored slice 1
    # is version 1, so the response stops after slice 0 — one version, never both.
    net.origin("POST", "/__version?v=2")
    new = slice_origin.body_of(SIZE, 2)
    status, _, body = net.get(path)
    assert status == 200 and 0 < len(body) < SIZE and body == new[:len(body)]
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(slice_origin.body_of(SIZE, 2)) and "etag" not in headers


def test_check_rejects_tiny_slices(tmp_path):
    config = tmp_path / "net.toml"
    fake_origin.write_config(config, "127.0.0", 8080, 9180, 8000, KEY)
    text = config.read_text().replace('origin_host = "www.acme.test"\n', 'origin_host = "www.acme.test"\n  slice_bytes = 100\n')
    config.write_text(text)
    result = run_udn("check", config)
    line = text.splitlines().index('  name = "img.acme.test"') + 1
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "slice_bytes = 100" in output and "at least 16384" in output
    assert f"net.toml:{line - 1}:" in output or f"net.toml:{line}:" in output


class SplitNet(Net):
    """cache1 as a memory front and a disk back: the back slices, the front keeps whole objects."""

    def start_cache(self):
        if not hasattr(self, "backend_port"):
            self.backend_port = free_port(self.cache_address)
            self.backend_admin_port = free_port(self.cache_address)
            text = self.config.read_text()
            text = text.replace("cache_admin =", f"cache_backend = {self.backend_port}\n"
                                                 f"cache_backend_admin = {self.backend_admin_port}\ncache_admin =")
            text = text.replace('roles = ["cache"]', 'roles = ["cache"]\n  cache_tiers = "two-process"')
            self.config.write_text(text)
            self.procs.udn("cache", "--config", self.config, "--server", "cache1", "--state-dir", self.state,
                           "--tier", "disk", "--disk-mb", "64", name="back")
            wait_for_tcp(self.cache_address, self.backend_port)
        self.cache = self.procs.udn("cache", "--config", self.config, "--server", "cache1", "--state-dir", self.state,
                                    "--tier", "memory", "--memory-mb", "16", name="front")
        wait_for_tcp(self.cache_address, self.http_port)


def test_two_processes_front_and_back_both_slice(procs, tmp_path):
    """The memory front slices too: a range that misses on the front asks the back only for its
    slices, and the back only the origin for the ones it lacks."""
    net = SplitNet(procs, tmp_path)
    path = f"/split.bin?size={SIZE}"
    whole = slice_origin.body_of(SIZE, 1)
    status, headers, body = net.get(path, headers={"Range": "bytes=20000-40000"})
    assert status == 206 and body == whole[20000:40001], headers
    assert headers["cache-status"].startswith("udn-testpop-disk; fwd=miss") and "udn-testpop-mem; fwd=miss" in headers["cache-status"]
    assert net.log() == slice_ranges(1, 2)
    status, headers, body = net.get(path, headers={"Range": "bytes=20000-40000"})
    assert status == 206 and body == whole[20000:40001] and "hit" in headers["cache-status"]
    assert net.log() == []
    # The whole object: the front fetches the missing slices from the back, which fetches them
    # from the origin; byte-exact.
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(whole)
    assert sorted(net.log()) == slice_ranges(0, 3, 4, 5, 6)
    # A new front (its memory gone) is filled from the back's slices, not the origin.
    assert net.cache.stop() == 0
    net.start_cache()
    status, headers, body = net.get(path)
    assert status == 200 and sha(body) == sha(whole) and net.log() == []
