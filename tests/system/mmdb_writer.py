"""A minimal MaxMind DB (.mmdb) writer for tests: GeoIP2-Country-like entries for a few networks.

The format (https://maxmind.github.io/MaxMind-DB/) is a binary search tree over address bits
(24-bit records here), 16 zero bytes, a data section of typed values, then metadata after the
marker b"\\xab\\xcd\\xefMaxMind.com". IPv4 networks live under ::/96 of an IPv6 tree, as in
MaxMind's own databases. Overlapping networks are not supported (tests do not need them).

Command line (regenerates the unit tests' fixture, see tests/unit/dns/geo_test.cpp):
    python3 tests/system/mmdb_writer.py OUT.mmdb 10.1.0.0/16=EU/DE 2001:db8::/32=NA/US/CA ...
"""
import ipaddress
import struct
import sys

_MARKER = b"\xab\xcd\xefMaxMind.com"


def _control(type_number, size):
    """The control byte(s) of a value of `type_number` and payload `size`."""
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, struct.pack(">H", size - 285)
    else:
        head, extra = 31, struct.pack(">I", size - 65821)[1:]
    if type_number <= 7:
        return bytes([(type_number << 5) | head]) + extra
    return bytes([head, type_number - 7]) + extra


def _encode(value, kind=None):
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, dict):
        out = _control(7, len(value))
        for key, item in value.items():
            out += _encode(key) + (_encode(*item) if isinstance(item, tuple) else _encode(item))
        return out
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(_encode(item) for item in value)
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return _control({"uint16": 5, "uint32": 6, "uint64": 9}[kind or "uint32"], len(raw)) + raw
    raise TypeError(f"cannot encode {value!r}")


def place_record(place):
    """'EU/DE/BY' -> the GeoIP2 layout of continent, country and first subdivision."""
    parts = place.split("/")
    record = {"continent": {"code": parts[0]}}
    if len(parts) > 1:
        record["country"] = {"iso_code": parts[1]}
    if len(parts) > 2:
        record["subdivisions"] = [{"iso_code": parts[2]}]
    return record


def write(path, networks, build_epoch=1700000000):
    """networks: {"10.1.0.0/16": "EU/DE", "2001:db8::/32": "NA/US/CA", ...}"""
    root = [None, None]
    data = b""
    offsets = {}
    for text, place in networks.items():
        network = ipaddress.ip_network(text)
        bits, length = int(network.network_address), network.prefixlen
        if network.version == 4:
            length += 96  # ::a.b.c.d
        if place not in offsets:
            offsets[place] = len(data)
            data += _encode(place_record(place))
        node = root
        for depth in range(length):
            bit = (bits >> (127 - depth)) & 1
            if depth == length - 1:
                assert node[bit] is None, f"{text} overlaps another network"
                node[bit] = ("data", offsets[place])
            else:
                if node[bit] is None:
                    node[bit] = [None, None]
                assert isinstance(node[bit], list), f"{text} overlaps another network"
                node = node[bit]
    order, index = [root], {id(root): 0}
    for node in order:  # breadth first: number every node
        for child in node:
            if isinstance(child, list):
                index[id(child)] = len(order)
                order.append(child)
    node_count = len(order)

    def record(child):
        if child is None:
            return node_count
        if isinstance(child, list):
            return index[id(child)]
        return node_count + 16 + child[1]

    tree = b"".join(struct.pack(">I", record(n[0]))[1:] + struct.pack(">I", record(n[1]))[1:] for n in order)
    metadata = {
        "binary_format_major_version": (2, "uint16"),
        "binary_format_minor_version": (0, "uint16"),
        "build_epoch": (build_epoch, "uint64"),
        "database_type": "udn-test-Country",
        "description": {"en": "udn test database"},
        "ip_version": (6, "uint16"),
        "languages": ["en"],
        "node_count": (node_count, "uint32"),
        "record_size": (24, "uint16"),
    }
    with open(path, "wb") as out:
        out.write(tree + b"\0" * 16 + data + _MARKER + _encode(metadata))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    write(sys.argv[1], dict(argument.split("=", 1) for argument in sys.argv[2:]))
