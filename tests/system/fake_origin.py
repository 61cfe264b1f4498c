"""A misbehaving origin for the cache's system tests, plus helpers that start a cache in
front of it.

Run as a process: `python3 fake_origin.py ADDRESS PORT NAME`. Every response is driven by the
query string of the request, so a test says what it wants per URL:
  cc=<Cache-Control value>   status=<code>   size=<body bytes>   delay_ms=<before the head>
  etag=<tag> (answers If-None-Match with 304)   lm=1 (Last-Modified, answers If-Modified-Since)
  vary=<header>   chunked=1   cookie=1 (Set-Cookie)   echo=<header> (body = that request header)
Control endpoints (never through the cache): GET /__stats -> JSON {"requests": {path: n},
"not_modified": n, "headers": {path: [last request headers]}}, POST /__fail?status=N (every
request gets N until POST /__fail?status=0).
"""
import json
import os
import pathlib
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {"requests": {}, "not_modified": 0, "headers": {}}
STATE = {"fail_status": 0}
LAST_MODIFIED = "Mon, 02 Jan 2023 03:04:05 GMT"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_label = "origin"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def do_POST(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path == "/__fail":
            STATE["fail_status"] = int(query.get("status", "0"))
            return self._send(200, b"ok\n")
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        self._count(parsed.path)
        return self._send(200, b"posted:" + body, [("Cache-Control", "no-store")])

    do_PUT = do_POST
    do_DELETE = do_POST

    def _count(self, path):
        with LOCK:
            STATS["requests"][path] = STATS["requests"].get(path, 0) + 1
            STATS["headers"][path] = {k.lower(): v for k, v in self.headers.items()}

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path == "/__stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            return self._send(200, body, [("Content-Type", "application/json")])
        self._count(parsed.path)
        if "delay_ms" in query:
            time.sleep(int(query["delay_ms"]) / 1000.0)
        if STATE["fail_status"]:
            return self._send(STATE["fail_status"], b"origin failing\n")
        status = int(query.get("status", "200"))
        headers = [("X-Origin", self.server.label), ("Date", self.date_time_string())]
        if "cc" in query:
            headers.append(("Cache-Control", query["cc"]))
        if "vary" in query:
            headers.append(("Vary", query["vary"]))
        if "cookie" in query:
            headers.append(("Set-Cookie", "session=secret"))
        if "etag" in query:
            etag = '"%s"' % query["etag"]
            headers.append(("ETag", etag))
            if self.headers.get("If-None-Match") == etag:
                with LOCK:
                    STATS["not_modified"] += 1
                return self._send(304, b"", headers)
        if "lm" in query:
            headers.append(("Last-Modified", LAST_MODIFIED))
            if self.headers.get("If-Modified-Since") == LAST_MODIFIED and "etag" not in query:
                with LOCK:
                    STATS["not_modified"] += 1
                return self._send(304, b"", headers)
        if "echo" in query:
            body = (self.headers.get(query["echo"]) or "-").encode()
        else:
            size = int(query.get("size", "100"))
            pattern = (parsed.path + "|" + self.server.label + "|").encode()
            body = (pattern * (size // len(pattern) + 1))[:size]
        if "chunked" in query and self.command != "HEAD":
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                piece = body[start:start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(0.01)
            self.wfile.write(b"0\r\n\r\n")
            return
        return self._send(status, body, headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    address, port, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = Server((address, port), Handler)
    server.label = label
    print("fake origin %s listening on %s:%d" % (label, address, port), flush=True)
    server.serve_forever()


# ---- helpers for the tests (importable) ---------------------------------------------------

def write_config(path, base, http_port, admin_port, origin_port, key):
    """A one-POP network: cache at BASE.2, origins at BASE.11 and BASE.12 (mirrors)."""
    text = f"""
version = 1

[network]
name = "cachetest"
domain = "udn.test"
cdn_zone = "cdn.test"
hostmaster = "hostmaster@udn.test"
report_key = "{key}"

[ports]
http = {http_port}
cache_admin = {admin_port}

[[pops]]
name = "testpop"
location = "Loopback"
network = "AS64500"
region = "eu"
latitude = 1.0
longitude = 2.0

  [[pops.servers]]
  name = "ns1"
  addresses = ["{base}.1"]
  roles = ["dns"]

  [[pops.servers]]
  name = "cache1"
  addresses = ["{base}.2"]
  roles = ["cache"]

[[customers]]
name = "acme"
zones = ["acme.test"]

  [[customers.origins]]
  name = "mirror-1"
  address = "{base}.11"
  port = {origin_port}
  weight = 100

  [[customers.origins]]
  name = "mirror-2"
  address = "{base}.12"
  port = {origin_port}
  backup = true

  [[customers.domains]]
  name = "www.acme.test"
  kind = "dynamic"
  origins = ["mirror-1", "mirror-2"]

  [[customers.domains]]
  name = "acme.cdn.test"
  kind = "static"
  path_form = true
  origins = ["mirror-1", "mirror-2"]

  [[customers.domains]]
  name = "img.acme.test"
  kind = "static"
  origins = ["mirror-1", "mirror-2"]
  origin_host = "www.acme.test"
"""
    pathlib.Path(path).write_text(text)


if __name__ == "__main__":
    main()
