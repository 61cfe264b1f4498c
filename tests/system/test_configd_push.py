"""configd end to end on loopback: 11 nodes in a 3-level push tree, the two-phase push, status,
rollback, replays and wrong keys, catch-up on start, and reload of the local roles."""
import json
import signal
import subprocess
import sys

from conftest import loopback_base, run_udn, wait_until
from configd_net import Network, replay_prepare, states


def fake_role(procs, tmp_path, state_dir):
    """A stand-in for a local role: holds its pid file locked as a running role does (configd
    signals no other), and counts the SIGHUPs configd sends after a commit."""
    counter = tmp_path / "hups"
    pid_file = state_dir / "run" / "cache.pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    script = ("import fcntl, os, signal, sys, time\n"
              "def hup(*_):\n"
              f"    open({str(counter)!r}, 'a').write('hup\\n')\n"
              "signal.signal(signal.SIGHUP, hup)\n"
              f"held = open({str(pid_file)!r}, 'a+')\n"
              "fcntl.flock(held, fcntl.LOCK_EX)\n"
              "held.truncate(0); held.write(f'{os.getpid()}\\n'); held.flush()\n"
              "while True: time.sleep(1)\n")
    process = procs.start([sys.executable, "-c", script], name="fake-role")
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() == str(process.pid),
               what="the stand-in role's pid file")
    return counter


def test_push_status_replay_wrong_key_rollback(procs, tmp_path):
    network = Network(procs, tmp_path, loopback_base())
    hups = fake_role(procs, tmp_path, network.state_dir("n7"))
    network.start_all()
    assert network.status()["consistent"]

    code, report, stderr = network.push(network.write(2))
    assert code == 0, report
    assert report["decision"] == "commit"
    assert set(states(report).values()) == {"committed"}, report
    assert "prepare" in stderr and "11/11 nodes" in stderr  # the progress bar
    network.assert_live_nodes_at(2)
    wait_until(lambda: hups.exists() and hups.read_text().count("hup") == 1, what="SIGHUP to the local role")
    assert (network.state_dir("n11") / "configd" / "current.toml").read_text() == network.write(2).read_text()

    # A key that is not an admin's: every node refuses, nothing switches.
    other_key = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(other_key)], check=True)
    code, report, _ = network.push(network.write(3), "--key-name", "demo-admin", key=other_key)
    assert code == 1 and report["decision"] == "abort", report
    assert "bad signature" in report["nodes"][0]["reason"]
    network.assert_live_nodes_at(2)

    # Replays: version 2 exactly as it was signed, sent to a leaf after version 3 is committed.
    code, report, _ = network.push(network.write(3))
    assert code == 0, report
    kept = network.state_dir("n9") / "configd" / "versions" / "2.toml"
    replies = replay_prepare(network, "n9", kept)
    result = replies[0][1]
    assert result["state"] == "rejected" and "not newer" in result["reason"], replies
    # And the committed version 3 itself, replayed: same version, rejected too.
    replies = replay_prepare(network, "n9", network.state_dir("n9") / "configd" / "current.toml")
    assert replies[0][1]["state"] == "rejected", replies
    network.assert_live_nodes_at(3)

    # An invalid file is refused by the tool before anything is sent.
    bad = tmp_path / "bad.toml"
    bad.write_text(network.write(4).read_text().replace('masters = ["n1"]', 'masters = ["nobody"]'))
    result = run_udn("admin", "push", bad, "--config", network.initial, "--key", network.initial.parent / "none")
    assert result.returncode == 2 and "nothing was pushed" in result.stderr

    # Rollback to version 2's content, re-issued as version 4.
    code, report, _ = network.admin("rollback", "--to", "2")
    assert code == 0, report
    network.assert_live_nodes_at(4)
    current = (network.state_dir("n5") / "configd" / "current.toml").read_text()
    assert current == network.write(2).read_text().replace("version = 2", "version = 4", 1)


def test_node_down_at_commit_catches_up_on_start(procs, tmp_path):
    network = Network(procs, tmp_path, loopback_base())
    network.start_all()
    network.nodes["n2"].stop()
    code, report, _ = network.push(network.write(2))
    assert code == 0, report
    assert states(report)["n2"] == "unreachable"
    # n2's children were adopted by n1 and got the push anyway.
    for child in network.children["n2"]:
        assert states(report)[child] == "committed", report
    network.start("n2")
    wait_until(lambda: network.committed_versions()["n2"] == 2, what="n2 to catch up from its parent")
    assert network.status()["consistent"]

    # The master itself down: the tool reaches its children directly; the master, which has no
    # parent, catches up from them when it starts.
    network.nodes["n1"].stop()
    code, report, _ = network.push(network.write(3))
    assert code == 0 and states(report)["n1"] == "unreachable", report
    network.start("n1")
    wait_until(lambda: network.committed_versions()["n1"] == 3, what="the master to catch up from its children")
    assert network.status()["consistent"]
