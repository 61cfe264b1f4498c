"""`udn node`: runs one server's roles under the shared supervisor, seeds the configuration the
roles read, and stops every child on SIGTERM."""
import os
import re
import signal

from conftest import REPO, loopback_base, wait_until


def test_node_seeds_config_and_stops_cleanly(procs, tmp_path):
    base = loopback_base()
    text = (REPO / "tests/unit/common/data/minimal.toml").read_text()
    text = text.replace("127.0.50.", f"{base}.")
    config = tmp_path / "node.toml"
    config.write_text(text)
    state = tmp_path / "state"
    node = procs.udn("node", config, "--node", "s1", "--state-dir", state)
    seeded = state / "configd" / "current.toml"
    wait_until(lambda: seeded.exists() and "seeded" in node.log(), timeout=15, what="seeded config")
    assert seeded.read_text() == text
    assert node.alive(), node.log()
    node.signal(signal.SIGTERM)
    node.popen.wait(timeout=30)
    assert node.popen.returncode == 0, node.log()
    log = node.log()
    assert "every process stopped" in log
    for pid in re.findall(r"started \S+ pid (\d+)", log):
        assert not os.path.exists(f"/proc/{pid}"), (pid, log)


def test_node_with_unknown_name_lists_the_servers(procs, tmp_path):
    node = procs.udn("node", REPO / "examples/demo.toml", "--node", "nope", "--state-dir", tmp_path / "s")
    node.popen.wait(timeout=30)
    assert node.popen.returncode == 1
    assert "no server named 'nope'" in node.log() and "eu-ns1" in node.log()
    assert not (tmp_path / "s").exists()
