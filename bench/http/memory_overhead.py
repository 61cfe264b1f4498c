"""Memory overhead per cached object of a running udn cache, as a slope: loads distinct 1 KiB
objects (/obj/1k?i=N; the origin ignores the query) in two rounds and divides the growth between
the end of the first round and the end of the second by the objects stored in between, then
subtracts what each object itself is (body + the response head the cache stores). The slope
leaves out what does not grow with the objects (allocator pools, buffers touched once, the
index's first pages), which made a single before/after reading of 20,000 objects come out below
the payload.

Readings, each as a slope per object:
- RSS (/proc/PID/status VmRSS): what an operator sees; issue 4's figure.
- live heap (own mode only): glibc's "in use bytes" (malloc_stats() called through gdb) plus the
  slabs of the memory tier's arena (the memory_arena_bytes gauge): what is allocated.
- accounted (memory_bytes gauge): what the memory tier's byte budget counts.

Usage:
  /usr/bin/python3 bench/http/memory_overhead.py [--udn build/release/udn] [--first 20000] [--second 60000]
      starts its own Python origin and `udn cache --threads 1` on a random loopback address
  /usr/bin/python3 bench/http/memory_overhead.py HOST PORT PID [FIRST SECOND] [--admin-port N]
      measures a cache that is already running in front of the benchmark origin (bench/http/run.sh)
Every process it starts is stopped by PID on exit.
"""
import argparse
import http.client
import http.server
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


class Origin(http.server.BaseHTTPRequestHandler):
    """1 KiB objects with the header fields a typical origin sends (Server and Date come from
    BaseHTTPRequestHandler)."""
    protocol_version = "HTTP/1.1"
    body = os.urandom(1024)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Last-Modified", "Mon, 23 Nov 2026 22:59:58 GMT")
        self.send_header("ETag", '"6742a0ee-400"')
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


CONFIG = """version = 1
[network]
name = "bench"
domain = "udn.bench"
cdn_zone = "cdn.bench"
hostmaster = "hostmaster@udn.bench"
report_key = "{key}"
[ports]
http = {port}
cache_admin = {admin_port}
[[pops]]
name = "bench"
location = "here"
network = "AS64500"
region = "eu"
  [[pops.servers]]
  name = "ns"
  addresses = ["127.0.0.2"]
  roles = ["dns"]
  [[pops.servers]]
  name = "edge"
  addresses = ["{address}"]
  roles = ["cache"]
[[customers]]
name = "bench"
zones = ["bench.example"]
  [[customers.origins]]
  name = "origin"
  address = "{address}"
  port = {origin_port}
  [[customers.domains]]
  name = "www.bench.example"
  kind = "static"
  origins = ["origin"]
"""


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def metrics(host, admin_port):
    connection = http.client.HTTPConnection(host, admin_port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r"^udn_cache_(memory_\w+) (\d+)$", line)
        if match:
            values[match.group(1)] = int(match.group(2))
    return values


def heap_in_use(pid, log_file):
    """glibc's bytes in use (all arenas and mmapped chunks): malloc_stats() prints them to the
    process's stderr, which is log_file."""
    before = os.path.getsize(log_file)
    subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex", "call (void)malloc_stats()"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    time.sleep(0.2)
    with open(log_file) as f:
        f.seek(before)
        text = f.read()
    total = text[text.rfind("Total (incl. mmap):"):]
    match = re.search(r"in use bytes\s*=\s*(\d+)", total)
    if not match:
        raise RuntimeError(f"no malloc_stats() total in {log_file}")
    # One glibc arena per thread that allocated: shows which threads hold the heap.
    arenas = re.findall(r"Arena (\d+):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)", text)
    print("  glibc arenas: " + ", ".join(f"#{n} {int(system) / 1e6:.1f} MB held, {int(used) / 1e6:.1f} MB in use"
                                        for n, system, used in arenas))
    return int(match.group(1))


def wait_for(host, port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def measure(host, port, pid, first, second, admin_port=None, log_file=None, host_header=None):
    connection = http.client.HTTPConnection(host, port, timeout=10)

    def get(i):
        connection.request("GET", f"/obj/1k?i={i}", headers={"Host": host_header or host})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET /obj/1k?i={i}: {response.status}")
        return response, body

    def reading():
        values = {"rss": rss_bytes(pid)}
        if admin_port:
            gauges = metrics(host, admin_port)
            values["accounted"] = gauges.get("memory_bytes")
            values["arena"] = gauges.get("memory_arena_bytes")
            values["objects"] = gauges.get("memory_objects")
        if log_file:
            # Builds before the arena have no memory_arena_bytes: all their objects are on the heap.
            values["live"] = heap_in_use(pid, log_file) + (values.get("arena") or 0)
        return values

    response, body = get(-1)
    head_bytes = len("HTTP/1.1 200 OK\r\n") + sum(len(k) + len(v) + 4 for k, v in response.getheaders()
                                                  if k.lower() not in ("age", "cache-status", "content-length", "connection"))
    for i in range(first):
        get(i)
    middle = reading()
    for i in range(first, first + second):
        get(i)
    after = reading()
    payload = len(body) + head_bytes
    stored = second
    if after.get("objects") is not None and middle.get("objects") is not None:
        stored = after["objects"] - middle["objects"]
        if stored != second:
            print(f"memory: {second - stored} of {second} objects were not stored (evicted or refused)")
    print(f"memory: objects {first}..{first + second} of {len(body)} B body + ~{head_bytes} B stored head "
          f"(payload {payload} B), per object:")
    for name, label in (("rss", "RSS"), ("live", "live heap (glibc in use + arena slabs)"),
                        ("accounted", "accounted by the memory budget")):
        if after.get(name) is None or middle.get(name) is None:
            continue
        per_object = (after[name] - middle[name]) / stored
        print(f"  {label:>40}: +{(after[name] - middle[name]) / 1e6:6.1f} MB = {per_object:6.0f} B/object, "
              f"overhead {per_object - payload:4.0f} B/object")


def own_cache(args):
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    origin = http.server.ThreadingHTTPServer((address, 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="udn-memory-overhead.")
    port, admin_port = 20000 + random.randint(0, 9999), 30000 + random.randint(0, 9999)
    with open(f"{work}/bench.toml", "w") as f:
        f.write(CONFIG.format(key=os.urandom(32).hex(), address=address, port=port, admin_port=admin_port,
                              origin_port=origin.server_address[1]))
    log_file = f"{work}/udn.log"
    cache = subprocess.Popen([args.udn, "cache", "--config", f"{work}/bench.toml", "--server", "edge", "--state-dir",
                              f"{work}/state", "--threads", "1", "--memory-mb", "1024", "--disk-mb", "0",
                              "--log-format", "json"],
                             stdout=subprocess.DEVNULL, stderr=open(log_file, "w"), start_new_session=True)
    try:
        if not wait_for(address, admin_port, 30):
            sys.exit(f"memory_overhead: the cache did not start; see {log_file}")
        print(f"udn {args.udn} (pid {cache.pid}), origin: Python http.server")
        measure(address, port, cache.pid, args.first, args.second, admin_port=admin_port,
                log_file=None if args.no_heap else log_file, host_header="www.bench.example")
    finally:
        os.killpg(cache.pid, signal.SIGTERM)
        cache.wait(timeout=60)
        origin.shutdown()
    shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="*", help="HOST PORT PID [FIRST SECOND] of a running cache")
    parser.add_argument("--admin-port", type=int, help="the running cache's admin port (adds the accounted bytes)")
    parser.add_argument("--udn", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/release/udn"))
    parser.add_argument("--first", type=int, default=20000)
    parser.add_argument("--second", type=int, default=60000)
    parser.add_argument("--no-heap", action="store_true", help="skip the glibc reading through gdb")
    args = parser.parse_args()
    if not args.target:
        own_cache(args)
        return
    if len(args.target) not in (3, 5):
        parser.error("give HOST PORT PID [FIRST SECOND], or nothing to start an own cache")
    host, port, pid = args.target[0], int(args.target[1]), int(args.target[2])
    first, second = (int(args.target[3]), int(args.target[4])) if len(args.target) == 5 else (20000, 100000)
    measure(host, port, pid, first, second, admin_port=args.admin_port)


main()
