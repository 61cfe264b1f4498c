"""User-space instructions per cache hit of `udn cache`, counted by callgrind, so that two
versions of our own code can be compared on a busy machine (wall-clock req/s cannot be: the
shared build machine's noise is +-20 % and more). Also counts system calls per hit (strace -c).

Starts an in-process Python origin (/obj/1k, /obj/100k, /obj/1m, max-age=3600) and the cache
under valgrind, warms each object, zeroes the counters, sends N keep-alive GETs per size from
one connection, dumps the counters. Kernel work (TCP over loopback) is not counted: compare
versions with this, compare with peers with run.sh.

Usage: /usr/bin/python3 bench/http/hit_cost.py [--udn build/release/udn] [--requests 2000]
                                                [--sizes 1k,100k,1m] [--syscalls]
Every process it starts is stopped by PID on exit.
"""
import argparse
import glob
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

SIZES = {"1k": 1024, "100k": 100 * 1024, "1m": 1024 * 1024}


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies = {}
    requests = 0

    def do_GET(self):
        Origin.requests += 1
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        body = Origin.bodies.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("ETag", f'"{name}-1"')
        self.send_header("Last-Modified", "Mon, 23 Nov 2026 22:00:00 GMT")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def config_text(address, port, admin_port, origin_port):
    return f"""version = 1
[network]
name = "bench"
domain = "udn.bench"
cdn_zone = "cdn.bench"
hostmaster = "hostmaster@udn.bench"
report_key = "{os.urandom(32).hex()}"
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


def wait_for(address, port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection(address, port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def get_many(address, port, path, count):
    connection = http.client.HTTPConnection(address, port, timeout=60)
    for _ in range(count):
        connection.request("GET", path, headers={"Host": "www.bench.example"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: status {response.status}")
    connection.close()


def total_instructions(out_file):
    with open(out_file) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out_file}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--udn", default=os.path.join(os.path.dirname(__file__), "../../build/release/udn"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sizes", default="1k,100k,1m")
    parser.add_argument("--syscalls", action="store_true", help="also count system calls per hit with strace -c")
    parser.add_argument("--keep", action="store_true", help="keep the callgrind dumps (for callgrind_annotate)")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    for name in sizes:
        Origin.bodies[name] = os.urandom(SIZES[name])
    origin = http.server.ThreadingHTTPServer((address, 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="udn-hit-cost.")
    port, admin_port = 20000 + random.randint(0, 9999), 30000 + random.randint(0, 9999)
    with open(f"{work}/bench.toml", "w") as f:
        f.write(config_text(address, port, admin_port, origin.server_address[1]))
    command = [args.udn, "cache", "--config", f"{work}/bench.toml", "--server", "edge", "--state-dir", f"{work}/state",
               "--threads", "1", "--memory-mb", "1024", "--disk-mb", "0"]
    callgrind = ["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no", f"--callgrind-out-file={work}/callgrind.%p"]
    cache = subprocess.Popen(callgrind + command, stdout=subprocess.DEVNULL, stderr=open(f"{work}/udn.log", "w"),
                             start_new_session=True)
    try:
        if not wait_for(address, admin_port, 120):
            sys.exit(f"hit_cost: the cache did not start; see {work}/udn.log")
        print(f"udn {args.udn}, {args.requests} keep-alive hits per size, one connection")
        for name in sizes:
            path = f"/obj/{name}"
            get_many(address, port, path, 3)  # miss, then hits: allocator and buffers warm
            before = Origin.requests
            subprocess.run(["callgrind_control", "--zero", str(cache.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            get_many(address, port, path, args.requests)
            subprocess.run(["callgrind_control", "--dump=" + name, str(cache.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            dumps = sorted(glob.glob(f"{work}/callgrind.{cache.pid}.*"), key=os.path.getmtime)
            instructions = total_instructions(dumps[-1])
            print(f"  {name:>5}: {instructions / args.requests:10.0f} instructions/hit (user space)"
                  f"{'' if Origin.requests == before else '  ORIGIN WAS ASKED: not all hits'}")
    finally:
        os.killpg(cache.pid, signal.SIGTERM)
        cache.wait(timeout=60)
    if args.syscalls:
        count_syscalls(args, command, address, port, admin_port, sizes, work)
    origin.shutdown()
    if args.keep:
        print(f"callgrind dumps: {work}/callgrind.*")
    else:
        shutil.rmtree(work, ignore_errors=True)


def count_syscalls(args, command, address, port, admin_port, sizes, work):
    cache = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(f"{work}/udn2.log", "w"),
                             start_new_session=True)
    try:
        if not wait_for(address, admin_port, 30):
            sys.exit(f"hit_cost: the cache did not start; see {work}/udn2.log")
        for name in sizes:
            path = f"/obj/{name}"
            get_many(address, port, path, 3)
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", f"{work}/strace.{name}", "-p", str(cache.pid)],
                                      stderr=subprocess.DEVNULL)
            time.sleep(1)
            get_many(address, port, path, args.requests)
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
            calls = {}
            with open(f"{work}/strace.{name}") as f:
                for line in f:
                    fields = line.split()
                    if len(fields) >= 5 and re.fullmatch(r"[\d.]+", fields[0]) and fields[-1] != "total":
                        calls[fields[-1]] = int(fields[3])
            busy = {k: v for k, v in calls.items() if v >= args.requests // 10}
            summary = ", ".join(f"{k} {v / args.requests:.2f}" for k, v in sorted(busy.items(), key=lambda kv: -kv[1]))
            print(f"  {name:>5}: system calls per hit: {summary}")
    finally:
        os.killpg(cache.pid, signal.SIGTERM)
        cache.wait(timeout=30)


main()
