"""Helpers for the configd system tests: a loopback network of N configd nodes in a 3-level push
tree, a TLS client that speaks the configd framing (docs/configd.md), and a TCP proxy that cuts or
corrupts a connection in flight."""
import base64
import json
import pathlib
import socket
import ssl
import struct
import threading
import zlib

from conftest import REPO, free_port, run_udn, wait_for_tcp, wait_until

DEMO_KEY = REPO / "examples" / "demo-admin.key"
DEMO_PUBLIC_KEY = "9JHWqwo4lzBQ3S0qFvYuQvKfSq+FXcdPw8ummmxLrRg="


def tree(count):
    """name -> children: n1 is the master, three mid-level nodes, the rest leaves (3 levels)."""
    names = [f"n{i}" for i in range(1, count + 1)]
    middle = names[1:4]
    children = {name: [] for name in names}
    children["n1"] = list(middle)
    for index, leaf in enumerate(names[4:]):
        children[middle[index % len(middle)]].append(leaf)
    return names, children


def render(base, port, count, version, padding_bytes=0, public_key=DEMO_PUBLIC_KEY):
    names, children = tree(count)
    lines = [f"version = {version}", "", "[network]", 'name = "t"', 'domain = "udn.test"', 'cdn_zone = "cdn.test"',
             'hostmaster = "hostmaster@udn.test"',
             'report_key = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"', "",
             "[ports]", f"configd = {port}", "", "[push]", 'masters = ["n1"]', "prepare_timeout_ms = 10000", "",
             "[[admin_keys]]", 'name = "demo-admin"', f'public_key = "{public_key}"', "",
             "[[pops]]", 'name = "p1"', 'location = "loopback"', 'network = "AS64500"', 'region = "eu"', ""]
    for index, name in enumerate(names, start=1):
        roles = '["configd", "dns"]' if name == "n1" else '["configd"]'
        lines += ["  [[pops.servers]]", f'  name = "{name}"', f'  addresses = ["{base}.{index}"]', f"  roles = {roles}"]
        if children[name]:
            lines.append("  forwards_to = [" + ", ".join(f'"{c}"' for c in children[name]) + "]")
        lines.append("")
    text = "\n".join(lines)
    if padding_bytes:
        # Comments make the file big without changing what it means.
        text += "\n" + ("# " + "x" * 97 + "\n") * (padding_bytes // 100)
    return text


class Network:
    """count configd nodes on base.1 .. base.count, all on one port, each with its own state dir."""

    def __init__(self, procs, tmp_path, base, count=11):
        self.procs, self.tmp, self.base, self.count = procs, pathlib.Path(tmp_path), base, count
        self.port = free_port(f"{base}.1")
        self.names, self.children = tree(count)
        self.nodes = {}
        self.listen = {}  # name -> (address, port) when a proxy sits in front of it
        self.initial = self.write(1)
        self.journal = self.tmp / "journal.json"

    def address(self, name):
        return f"{self.base}.{self.names.index(name) + 1}"

    def write(self, version, padding_bytes=0, public_key=DEMO_PUBLIC_KEY):
        path = self.tmp / f"v{version}.toml"
        path.write_text(render(self.base, self.port, self.count, version, padding_bytes, public_key))
        return path

    def state_dir(self, name):
        return self.tmp / "nodes" / name

    def start(self, name, sync_interval_ms=60000):
        args = ["configd", "--config", self.initial, "--server", name, "--state-dir", self.state_dir(name),
                "--sync-interval-ms", sync_interval_ms]
        address, port = self.listen.get(name, (self.address(name), self.port))
        if name in self.listen:
            args += ["--listen", f"{address}:{port}"]
        self.nodes[name] = self.procs.udn(*args, name=f"configd-{name}")
        wait_for_tcp(address, port)
        return self.nodes[name]

    def start_all(self):
        for name in self.names:
            self.start(name)

    def admin(self, verb, *args, key=DEMO_KEY, timeout=60):
        extra = ["--key", key] if verb in ("push", "rollback") else []
        result = run_udn("admin", verb, *args, "--config", self.initial, "--journal", self.journal, *extra, "--json",
                         timeout=timeout)
        try:
            report = json.loads(result.stdout)
        except ValueError:
            raise AssertionError(f"udn admin {verb} printed no JSON (exit {result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result.returncode, report, result.stderr

    def push(self, path, *args, **kwargs):
        return self.admin("push", path, *args, **kwargs)

    def status(self):
        return self.admin("status")[1]

    def committed_versions(self):
        return {node["node"]: node.get("committed_version") for node in self.status()["nodes"]}

    def assert_live_nodes_at(self, version):
        live = {name for name, process in self.nodes.items() if process.alive()}
        versions = self.committed_versions()
        assert {name: versions[name] for name in live} == {name: version for name in live}, versions


def states(report):
    return {node["node"]: node["state"] for node in report["nodes"]}


def frame(message_type, obj, blob=b""):
    payload_json = json.dumps(obj).encode()
    payload = struct.pack(">I", len(payload_json)) + payload_json + blob
    return b"UDNC" + bytes([1, message_type, 0, 0]) + struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


def read_frames(sock):
    """Reads frames until DONE (type 17) or a single reply; returns [(type, json, blob)]."""
    frames = []

    def exact(size):
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    while True:
        header = exact(16)
        assert header[:4] == b"UDNC"
        message_type = header[5]
        length, crc = struct.unpack(">II", header[8:16])
        payload = exact(length)
        assert zlib.crc32(payload) == crc
        json_length = struct.unpack(">I", payload[:4])[0]
        frames.append((message_type, json.loads(payload[4:4 + json_length]), payload[4 + json_length:]))
        if message_type != 16:
            return frames


def send_tls(address, port, data):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection((address, port), timeout=10) as raw:
        with context.wrap_socket(raw) as sock:
            sock.sendall(data)
            return read_frames(sock)


def replay_prepare(network, name, stored_toml):
    """Sends a configuration exactly as stored (file bytes + signed meta) to `name` as a PREPARE."""
    meta = json.loads(pathlib.Path(str(stored_toml)[:-len(".toml")] + ".meta.json").read_text())
    request = {"node": name, "version": meta["version"], "key_name": meta["key_name"], "push_id": meta["push_id"],
               "signature": meta["signature"], "children": []}
    return send_tls(network.address(name), network.port, frame(1, request, stored_toml.read_bytes()))


class Proxy:
    """Listens on (address, port) and forwards to target. For the first `faulty` connections it
    cuts (mode "cut") or flips one byte (mode "corrupt") once `after_bytes` went client->server."""

    def __init__(self, address, port, target, mode, after_bytes, faulty=1):
        self.target, self.mode, self.after, self.faulty = target, mode, after_bytes, faulty
        self.connections = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((address, port))
        self.server.listen(16)
        self.stopped = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def arm(self, faulty):
        """The next `faulty` connections get the fault; later ones pass through untouched."""
        self.faulty = faulty
        self.connections = 0

    def close(self):
        self.stopped = True
        self.server.close()

    def accept_loop(self):
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            faulty = self.connections <= self.faulty
            try:
                upstream = socket.create_connection(self.target)
            except OSError:  # the node behind is not up (yet): like a refused connection
                client.close()
                continue
            threading.Thread(target=self.pump, args=(client, upstream, faulty), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, False), daemon=True).start()

    def pump(self, source, sink, faulty):
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if faulty and sent + len(data) > self.after:
                    cut = max(0, self.after - sent)
                    if self.mode == "cut":
                        sink.sendall(data[:cut])
                        break
                    data = data[:cut] + bytes([data[cut] ^ 0x01]) + data[cut + 1:]
                    faulty = False
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
