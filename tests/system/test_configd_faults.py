"""configd under faults, 11 nodes on loopback: a node killed during the transfer, a connection cut
in the middle of the file, a byte corrupted in flight, and the push tool stopped between phases.
After each, every live node holds the same committed version and the report says what happened."""
import json
import signal
import subprocess
import time

from conftest import UDN_BIN, free_port, loopback_base, wait_until
from configd_net import DEMO_KEY, Network, Proxy, states

PADDING_BYTES = 300_000  # big enough that faults land in the middle of the file


def start_push(network, path, *args):
    return subprocess.Popen([UDN_BIN, "admin", "push", str(path), "--config", str(network.initial), "--journal",
                             str(network.journal), "--key", str(DEMO_KEY), "--json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_cut_and_corrupt_in_flight(procs, tmp_path):
    network = Network(procs, tmp_path, loopback_base())
    proxies = {}
    for name, mode in (("n3", "cut"), ("n4", "corrupt")):
        behind = (network.address(name), free_port(network.address(name)))
        network.listen[name] = behind
        proxies[name] = Proxy(network.address(name), network.port, behind, mode, after_bytes=100_000, faulty=0)
    try:
        network.start_all()

        # Kill n2 while its parent is sending it the file (it is frozen, so the transfer is in progress).
        network.nodes["n2"].signal(signal.SIGSTOP)
        push = start_push(network, network.write(2, PADDING_BYTES))
        time.sleep(1.0)
        network.nodes["n2"].signal(signal.SIGKILL)
        out, err = push.communicate(timeout=60)
        report = json.loads(out)
        assert push.returncode == 0 and report["decision"] == "commit", report["summary"] + json.dumps(report["nodes"])
        assert states(report)["n2"] == "unreachable", report
        for child in network.children["n2"]:  # adopted by n1
            assert states(report)[child] == "committed", report
        network.assert_live_nodes_at(2)
        network.start("n2")  # catches up from n1 when it starts
        wait_until(lambda: network.committed_versions()["n2"] == 2, what="n2 to catch up")

        # Cut the connection to n3 in the middle of the file: the retry delivers it.
        proxies["n3"].arm(faulty=1)
        code, report, _ = network.push(network.write(3, PADDING_BYTES))
        assert code == 0 and set(states(report).values()) == {"committed"}, report
        n3 = next(node for node in report["nodes"] if node["node"] == "n3")
        assert "attempt 2" in n3["reason"], n3
        network.assert_live_nodes_at(3)

        # One corrupted byte on the way to n4: TLS refuses the record, the retry delivers it.
        proxies["n4"].arm(faulty=1)
        code, report, _ = network.push(network.write(4, PADDING_BYTES))
        assert code == 0 and set(states(report).values()) == {"committed"}, report
        assert "attempt 2" in next(n for n in report["nodes"] if n["node"] == "n4")["reason"]
        network.assert_live_nodes_at(4)

        # Every attempt corrupted: n4 cannot prepare, so nobody switches.
        proxies["n4"].arm(faulty=100)
        code, report, _ = network.push(network.write(5, PADDING_BYTES))
        assert code == 1 and report["decision"] == "abort", report
        n4 = next(node for node in report["nodes"] if node["node"] == "n4")
        assert n4["prepare_state"] == "failed" and n4["state"] == "aborted", n4
        assert "n4 failed" in report["summary"], report
        proxies["n4"].arm(faulty=0)
        network.assert_live_nodes_at(4)
        assert network.status()["consistent"]
    finally:
        for proxy in proxies.values():
            proxy.close()


def test_push_tool_stopped_between_phases(procs, tmp_path):
    network = Network(procs, tmp_path, loopback_base())
    network.start_all()

    # Stopped after PREPARE with its decision journaled: nothing switched; --resume commits.
    code, report, _ = network.push(network.write(2), "--prepare-only")
    assert code == 0 and report["decision"] == "prepared", report
    network.assert_live_nodes_at(1)
    assert all(node["pending_versions"] == [2] for node in network.status()["nodes"])
    code, report, stderr = network.admin("push", "--resume")
    assert code == 0 and report["decision"] == "commit", (report, stderr)
    assert "finishing it" in report["summary"]
    network.assert_live_nodes_at(2)

    # Killed during PREPARE, before any decision: the next run aborts it (presumed abort).
    network.nodes["n1"].signal(signal.SIGSTOP)
    push = start_push(network, network.write(3))
    wait_until(network.journal.exists, what="the push journal")
    push.kill()
    push.wait()
    network.nodes["n1"].signal(signal.SIGCONT)
    code, report, _ = network.admin("push", "--resume")
    assert report["decision"] == "abort", report
    assert "aborted" in report["summary"]
    assert not network.journal.exists()
    network.assert_live_nodes_at(2)
    # Nothing of version 3 is left pending anywhere once the orphaned prepare has run its course.
    wait_until(lambda: all(3 not in node.get("pending_versions", [3]) for node in network.status()["nodes"]),
               timeout=15, what="no pending version 3")
    code, report, _ = network.push(network.write(4))
    assert code == 0, report
    network.assert_live_nodes_at(4)
