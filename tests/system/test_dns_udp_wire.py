"""`udn dns` answers as seen on the wire, through raw sockets (root only): IPv4 answers carry
DF and IP ID 0 (RFC 9715; socket_util.cpp), and an answer the kernel refuses to send — to
source port 0 of a forged query — costs nobody else in its batch their answer."""
import os
import signal
import socket
import struct
import time

import dns.flags
import dns.message
import pytest

from conftest import wait_until
from test_dns_server import Server, admin_get
from test_probe_loss import metric

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="raw sockets need root")

IP_DF = 0x4000


@pytest.fixture
def server(procs, tmp_path):
    return Server(procs, tmp_path)


def query_bytes(name, query_id):
    query = dns.message.make_query(name, "A")
    query.flags &= ~dns.flags.RD
    query.id = query_id
    return query.to_wire()


def unsent_answers(server):
    return metric(admin_get(server, "/metrics"), "udn_dns_udp_answers_unsent")


def test_ipv4_answers_carry_dont_fragment_and_id_zero(server):
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP) as capture, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        capture.settimeout(2)
        client.bind(("127.0.0.1", 0))
        client_port = client.getsockname()[1]
        for query_id in (1, 2, 3):
            client.sendto(query_bytes("www.acme.example", query_id), (server.address, server.port))
        headers = []
        deadline = time.monotonic() + 5
        while len(headers) < 3 and time.monotonic() < deadline:
            packet, _ = capture.recvfrom(65535)
            header_length = (packet[0] & 0x0F) * 4
            source_port, destination_port = struct.unpack(">HH", packet[header_length:header_length + 4])
            if (socket.inet_ntoa(packet[12:16]) == server.address and source_port == server.port
                    and destination_port == client_port):
                headers.append(struct.unpack(">HH", packet[4:8]))  # IP ID, flags and fragment offset
        assert len(headers) == 3, "answers not seen on the raw socket"
        for ip_id, flags_and_offset in headers:
            assert flags_and_offset == IP_DF, f"answer sent without DF or fragmented: {flags_and_offset:#06x}"
            assert ip_id == 0


def test_a_refused_answer_does_not_drop_the_rest_of_its_batch(server):
    # Port 0 cannot be answered (the kernel refuses to send there). With the server stopped, the
    # forged query and the real ones queue up and are taken in one receive, forged one first.
    unsent_before = unsent_answers(server)
    assert unsent_before is not None, "udn_dns_udp_answers_unsent not in /metrics"
    forged_payload = query_bytes("www.acme.example", 7)
    udp_header = struct.pack(">HHHH", 0, server.port, 8 + len(forged_payload), 0)  # no checksum
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP) as forger, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        server.process.signal(signal.SIGSTOP)
        try:
            forger.sendto(udp_header + forged_payload, (server.address, 0))
            for query_id in (11, 12, 13):
                client.sendto(query_bytes("www.acme.example", query_id), (server.address, server.port))
        finally:
            server.process.signal(signal.SIGCONT)
        answered = sorted(dns.message.from_wire(client.recv(65535)).id for _ in range(3))
    assert answered == [11, 12, 13]
    wait_until(lambda: unsent_answers(server) == unsent_before + 1, timeout=5,
               what="the refused answer to be counted")
