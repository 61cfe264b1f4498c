"""The udn report protocol (docs/protocols.md) in Python, for system tests and benchmarks:
an independent implementation, so a test that decodes what `udn probe` sends checks the C++
codec against the document, not against itself."""
import hashlib
import hmac
import ipaddress
import struct
import time

MAGIC = b"UDNR"
VERSION = 1      # what seal() writes unless told otherwise (bodies below are version 1)
VERSIONS = (1, 2)  # 2 added loss fields to service reports and latency results
SERVICE_REPORT, LATENCY_REQUEST, LATENCY_RESULT, LOAD_QUERY, LOAD_ANSWER = 1, 2, 3, 4, 5
CHECKS = {1: "http", 2: "https", 3: "tcp", 4: "dns", 5: "ftp"}
STATES = {1: "up", 2: "down"}
RESULTS = {0: "ok", 1: "timeout", 2: "connect_failed", 3: "tls_failed", 4: "bad_status",
           5: "content_mismatch", 6: "wrong_answer", 7: "protocol_error", 8: "resolve_failed",
           9: "other_error"}
METHODS = {0: "none", 1: "dns_query", 2: "tcp_connect", 3: "icmp_echo"}


def now_ms():
    return int(time.time() * 1000)


def str8(text):
    data = text.encode()
    return bytes([len(data)]) + data


def address(text):
    ip = ipaddress.ip_address(text)
    return bytes([4 if ip.version == 4 else 6]) + ip.packed


def load_fields(load):
    return struct.pack(">HHHHI", load["cpu"], load["memory"], load["swap"], load["disk"],
                       load["connections"])


def seal(key, msg_type, sender, sequence, timestamp_ms, body, version=VERSION):
    """The datagram: header + body + HMAC-SHA256(key, header + body)."""
    unsigned = MAGIC + bytes([version, msg_type]) + str8(sender) + struct.pack(">QQ", sequence, timestamp_ms) + body
    return unsigned + hmac.new(key, unsigned, hashlib.sha256).digest()


def latency_request_body(clients):
    return struct.pack(">H", len(clients)) + b"".join(address(c) for c in clients)


def load_answer_body(query_sequence, load):
    return struct.pack(">Q", query_sequence) + load_fields(load)


class Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def take(self, size):
        if self.offset + size > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.offset:self.offset + size]
        self.offset += size
        return chunk

    def u8(self):
        return self.take(1)[0]

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def str8(self):
        return self.take(self.u8()).decode()

    def address(self):
        family = self.u8()
        return str(ipaddress.ip_address(self.take(4 if family == 4 else 16)))

    def load(self):
        cpu, memory, swap, disk, connections = self.unpack(">HHHHI")
        return {"cpu": cpu, "memory": memory, "swap": swap, "disk": disk, "connections": connections}


def open_datagram(key, datagram):
    """Verifies and decodes a datagram; returns a dict or raises ValueError (bad MAC, format)."""
    if len(datagram) < 4 + 1 + 1 + 1 + 16 + 32 or datagram[:4] != MAGIC or datagram[4] not in VERSIONS:
        raise ValueError("not a udn datagram of version 1 or 2")
    version = datagram[4]
    unsigned, mac = datagram[:-32], datagram[-32:]
    if not hmac.compare_digest(mac, hmac.new(key, unsigned, hashlib.sha256).digest()):
        raise ValueError("bad MAC")
    r = Reader(unsigned)
    r.take(5)
    msg = {"version": version, "type": r.u8(), "sender": r.str8()}
    msg["sequence"], msg["timestamp_ms"] = r.unpack(">QQ")
    if msg["type"] == SERVICE_REPORT:
        msg["target"] = {1: "origin", 2: "server"}[r.u8()]
        msg["customer"], msg["name"] = r.str8(), r.str8()
        msg["check"], msg["state"], msg["result"] = CHECKS[r.u8()], STATES[r.u8()], RESULTS[r.u8()]
        (msg["code"],) = r.unpack(">H")
        msg["timing_us"] = dict(zip(("dns", "connect", "tls", "first_byte", "total"), r.unpack(">IIIII")))
        msg["loss_permille"], msg["loss_checks"] = r.unpack(">HH") if version >= 2 else (0, 0)
        msg["load"] = r.load() if r.u8() == 1 else None
        msg["detail"] = r.str8()
    elif msg["type"] == LATENCY_REQUEST:
        (count,) = r.unpack(">H")
        msg["clients"] = [r.address() for _ in range(count)]
    elif msg["type"] == LATENCY_RESULT:
        msg["pop"] = r.str8()
        (count,) = r.unpack(">H")
        msg["measurements"] = []
        for _ in range(count):
            client, reachable, method = r.address(), r.u8() == 1, METHODS[r.u8()]
            rtt_us, measured_at_ms = r.unpack(">IQ")
            attempts, loss_permille = r.unpack(">BH") if version >= 2 else (0, 0)
            msg["measurements"].append({"client": client, "reachable": reachable, "method": method,
                                        "rtt_us": rtt_us, "measured_at_ms": measured_at_ms,
                                        "attempts": attempts, "loss_permille": loss_permille})
    elif msg["type"] == LOAD_ANSWER:
        (msg["query_sequence"],) = r.unpack(">Q")
        msg["load"] = r.load()
    if r.offset != len(unsigned):
        raise ValueError("trailing bytes")
    return msg
