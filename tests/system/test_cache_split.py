"""Issue 4, the cache's tiers as two processes: a memory front (`udn cache --tier memory`) asks a
disk back (`udn cache --tier disk`, on ports.cache_backend) on a miss, the back asks the origin
(tests/system/fake_origin.py). MISS reaches the origin once; the front then hits; a restarted
front is served from the back's disk; purges and unsafe methods reach both tiers; with the back
dead the front fetches from the origin itself, says so, and uses the back again once it is back."""
import http.client
import signal
import urllib.request

from conftest import free_port, run_udn, wait_for_tcp, wait_until
from test_cache_http import Net


class SplitNet(Net):
    """The one-POP test network of test_cache_http.py with cache1's tiers as two processes."""

    def __init__(self, procs, tmp_path):
        self.back = None
        super().__init__(procs, tmp_path)

    def start_cache(self):
        if self.back is None:
            self.backend_port = free_port(self.cache_address)
            self.backend_admin_port = free_port(self.cache_address)
            text = self.config.read_text()
            text = text.replace("cache_admin =", f"cache_backend = {self.backend_port}\n"
                                                 f"cache_backend_admin = {self.backend_admin_port}\ncache_admin =")
            text = text.replace('roles = ["cache"]', 'roles = ["cache"]\n  cache_tiers = "two-process"')
            self.config.write_text(text)
            self.start_back()
        self.cache = self.procs.udn("cache", "--config", self.config, "--server", "cache1", "--state-dir", self.state,
                                    "--tier", "memory", "--memory-mb", "16", name="front")
        wait_for_tcp(self.cache_address, self.http_port)
        wait_for_tcp(self.cache_address, self.admin_port)

    def start_back(self):
        self.back = self.procs.udn("cache", "--config", self.config, "--server", "cache1", "--state-dir", self.state,
                                   "--tier", "disk", "--disk-mb", "64", name="back")
        wait_for_tcp(self.cache_address, self.backend_port)
        wait_for_tcp(self.cache_address, self.backend_admin_port)

    def get_back(self, path, host="acme.cdn.test"):
        """A request straight to the back, as a front would send it."""
        connection = http.client.HTTPConnection(self.cache_address, self.backend_port, timeout=20)
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data

    def back_metric(self, name):
        url = f"http://{self.cache_address}:{self.backend_admin_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            lines = response.read().decode().splitlines()
        return next((float(line.split()[1]) for line in lines if line.startswith(name + " ")), 0.0)

    def access_log(self, role, count):
        spool = self.state / "spool" / role

        def lines():
            found = []
            for f in [*sorted(spool.glob("ready/*")), spool / "current"]:
                if f.exists():
                    found += [line.split("\t") for line in f.read_text().splitlines()]
            return found if len(found) >= count else None
        return wait_until(lines, timeout=5, what=f"{count} access log lines of {role}")


def flush(net, *args):
    return run_udn("admin", "flush", "--config", net.config, *args)


def test_two_process_tiers(procs, tmp_path):
    net = SplitNet(procs, tmp_path)
    path = "/www.acme.test/split.bin?cc=max-age%3D600&size=3000"

    # A two-process server's cache refuses to start as one process by accident.
    refused = run_udn("cache", "--config", net.config, "--server", "cache1", "--state-dir", tmp_path / "other")
    assert refused.returncode == 2 and "--tier disk" in refused.stderr and "--tier memory" in refused.stderr

    status, headers, body = net.get(path)
    assert status == 200 and len(body) == 3000
    assert headers["cache-status"] == ("udn-testpop-disk; fwd=miss; fwd-status=200; stored, "
                                       "udn-testpop-mem; fwd=miss; fwd-status=200; stored")
    assert net.count("/split.bin") == 1
    seen = net.stats()["headers"]["/split.bin"]
    assert seen["via"] == "1.1 udn-testpop-disk"
    assert len(seen["x-forwarded-for"].split(",")) == 2  # the client, then the front: the back keeps the chain
    status, headers, again = net.get(path)
    assert again == body and headers["cache-status"].startswith("udn-testpop-mem; hit; ttl=")  # the front alone
    assert net.count("/split.bin") == 1

    # A new front has an empty memory: the back answers from its disk, the origin sees nothing.
    assert net.cache.stop() == 0
    net.start_cache()
    status, headers, again = net.get(path)
    assert status == 200 and again == body
    assert headers["cache-status"].startswith("udn-testpop-disk; hit; ttl=")
    assert headers["cache-status"].endswith(", udn-testpop-mem; fwd=miss; fwd-status=200; stored")
    assert net.count("/split.bin") == 1

    # Both processes log; the front's line says where the object came from (field 13).
    front_lines = net.access_log("cache", 3)
    assert [(f[9], f[12]) for f in front_lines[:3]] == [("MISS", "back:MISS"), ("HIT", "-"), ("MISS", "back:HIT")]
    back_lines = net.access_log("cache-disk", 2)
    assert [(f[9], f[12]) for f in back_lines[:2]] == [("MISS", "mirror-1"), ("HIT", "-")]

    # A purge sent to the front reaches the back before the front empties itself.
    result = flush(net, "http://acme.cdn.test" + path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '{"memory_objects":1,"disk_objects":0,"back":{"memory_objects":1,"disk_objects":1}}' in result.stdout
    status, headers, _ = net.get(path)
    assert headers["cache-status"].startswith("udn-testpop-disk; fwd=miss")
    assert net.count("/split.bin") == 2

    # An unsafe method goes through the back, and both tiers drop the URL.
    status, headers, _ = net.get(path, method="POST", body=b"x")
    assert status == 200 and "udn-testpop-disk; fwd=method" in headers["cache-status"]
    assert net.count("/split.bin") == 3  # the origin counts the POST too
    net.get(path)
    assert net.count("/split.bin") == 4
    # The back writes its disk from a queue: the copy must be there before the back is killed.
    wait_until(lambda: net.back_metric("udn_cache_disk_objects") >= 1, timeout=10, what="the back's disk copy")

    # The back dies: the front fetches from the origin itself and says so in its log; what it
    # holds in memory it still serves; a purge cannot reach the back and reports that.
    net.back.signal(signal.SIGKILL)
    net.back.popen.wait()
    status, headers, other = net.get("/www.acme.test/alone.txt?cc=max-age%3D600")
    assert status == 200 and headers["cache-status"] == "udn-testpop-mem; fwd=miss; fwd-status=200; stored"
    assert net.count("/alone.txt") == 1
    assert "unreachable" in net.cache.log() and "origins directly" in net.cache.log()
    status, headers, _ = net.get(path)
    assert status == 200 and "hit" in headers["cache-status"] and net.count("/split.bin") == 4
    assert net.access_log("cache", 8)[6][12] == "mirror-1"
    result = flush(net, "--site", "www.acme.test")
    assert result.returncode != 0 and "back_error" in result.stdout

    # The back comes back with its disk; after the front's retry interval misses go to it again.
    net.start_back()
    probe = iter(range(1000))

    def via_back():
        _, headers, _ = net.get(f"/www.acme.test/later.txt?cc=max-age%3D600&n={next(probe)}")
        return headers["cache-status"].startswith("udn-testpop-disk")
    wait_until(via_back, timeout=15, interval=0.5, what="the front to use the restarted back")
    assert "answers again" in net.cache.log()
    with urllib.request.urlopen(f"http://{net.cache_address}:{net.admin_port}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    fallbacks = [line for line in metrics.splitlines() if line.startswith("udn_cache_back_fallbacks_total ")]
    assert fallbacks and int(fallbacks[0].split()[1]) >= 2

    # With the front down, `udn admin flush` purges the back directly (and still reports the
    # cache as failed), so the next front cannot be refilled with the old copy.
    assert net.cache.stop() == 0
    assert net.get_back(path)[1]["cache-status"].startswith("udn-testpop-disk; hit")
    result = flush(net, "http://acme.cdn.test" + path)
    assert result.returncode != 0
    assert "cache1/disk" in result.stdout and '"memory_objects":1,"disk_objects":1' in result.stdout
    net.start_cache()
    before = net.count("/split.bin")
    status, headers, _ = net.get(path)
    assert headers["cache-status"].startswith("udn-testpop-disk; fwd=miss") and net.count("/split.bin") == before + 1
