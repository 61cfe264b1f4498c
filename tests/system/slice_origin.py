"""An origin for the slice tests: byte ranges (one range per request, 206 with Content-Range),
a version that a test can change (ETag and every byte change with it), and a log of the Range
header of every request.

Run as a process: `python3 slice_origin.py ADDRESS PORT`. GET /<anything>?size=N serves N bytes
of version V; `ranges=0` ignores Range (200, the whole object); `validator=lm` sends
Last-Modified instead of an ETag (`validator=none`: neither); `slow=1` sends bodies in 4 KiB pieces 5 ms apart;
`cc=<Cache-Control>` replaces max-age=600. If-None-Match / If-Modified-Since that match the
current version get a 304 (counted).
Control endpoints (never through the cache): GET /__log ->
JSON [[path, range or null], ...]; GET /__stats -> {"not_modified": n}; POST /__version?v=N;
POST /__fail?status=N (every GET gets N until status=0); POST /__reset (empties the log).
"""
import hashlib
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
STATE = {"version": 1, "not_modified": 0, "fail_status": 0}
BODIES = {}


def body_of(size, version):
    """Bytes that differ at every position between versions (so a splice is always visible)."""
    key = (size, version)
    if key not in BODIES:
        block = b"".join(hashlib.sha256(b"%d:%d" % (version, i)).digest() for i in range(size // 32 + 1))
        BODIES[key] = block[:size]
    return BODIES[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body, headers):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not self.slow:
            self.wfile.write(body)
            return
        for start in range(0, len(body), 4096):  # in pieces, so that the cache sees a slice fill
            self.wfile.write(body[start:start + 4096])
            self.wfile.flush()
            time.sleep(0.005)

    slow = False

    def do_POST(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        with LOCK:
            if parsed.path == "/__version":
                STATE["version"] = int(query["v"])
            elif parsed.path == "/__fail":
                STATE["fail_status"] = int(query["status"])
            elif parsed.path == "/__reset":
                LOG.clear()
        self._reply(200, b"ok\n", [])

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path == "/__log":
            with LOCK:
                body = json.dumps(LOG).encode()
            return self._reply(200, body, [("Content-Type", "application/json")])
        if parsed.path == "/__stats":
            with LOCK:
                body = json.dumps({"not_modified": STATE["not_modified"]}).encode()
            return self._reply(200, body, [("Content-Type", "application/json")])
        range_header = self.headers.get("Range")
        self.slow = query.get("slow") == "1"
        with LOCK:
            LOG.append([parsed.path, range_header])
            version = STATE["version"]
            fail_status = STATE["fail_status"]
        if fail_status:
            return self._reply(fail_status, b"origin failing\n", [])
        body = body_of(int(query.get("size", "1000")), version)
        headers = [("Cache-Control", query.get("cc", "max-age=600")), ("Content-Type", "application/octet-stream")]
        if query.get("validator") == "none":
            validator = None
            matches = False
        elif query.get("validator") == "lm":
            validator = ("Last-Modified", "Mon, 02 Jan 2023 03:04:%02d GMT" % (version % 60))
            matches = self.headers.get("If-Modified-Since") == validator[1]
        else:
            validator = ("ETag", '"v%d"' % version)
            matches = self.headers.get("If-None-Match") == validator[1]
        if validator:
            headers.append(validator)
        if matches:
            with LOCK:
                STATE["not_modified"] += 1
            self.send_response(304)  # no Content-Length: it would describe the selected representation
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
        if not match or query.get("ranges") == "0":
            return self._reply(200, body, headers)
        first = int(match.group(1))
        last = min(int(match.group(2)) if match.group(2) else len(body) - 1, len(body) - 1)
        if first >= len(body):
            return self._reply(416, b"", headers + [("Content-Range", "bytes */%d" % len(body))])
        headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(body))))
        return self._reply(206, body[first:last + 1], headers)

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    address, port = sys.argv[1], int(sys.argv[2])
    server = Server((address, port), Handler)
    print("slice origin listening on %s:%d" % (address, port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
