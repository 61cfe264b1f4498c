#!/usr/bin/python3
"""bench/push: time to push a 1 MB configuration to 50 configd nodes in a 3-level tree
(1 master -> 7 -> 42) on loopback, from the start of `udn admin push` to every node committed.

Usage: bench/push/run.py [--udn build/release/udn] [--nodes 50] [--size-bytes 1000000] [--rounds 5]
Starts its own daemons on a random 127.x.y.0/24 and stops them (by pid) at the end."""
import argparse
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def render(base, port, names, children, version, size_bytes):
    lines = [f"version = {version}", "", "[network]", 'name = "bench"', 'domain = "udn.test"',
             'cdn_zone = "cdn.test"', 'hostmaster = "hostmaster@udn.test"',
             'report_key = "5c1f0e6b3a2d4c8e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"', "",
             "[ports]", f"configd = {port}", "", "[push]", 'masters = ["n1"]', "", "[[admin_keys]]",
             'name = "demo-admin"', 'public_key = "9JHWqwo4lzBQ3S0qFvYuQvKfSq+FXcdPw8ummmxLrRg="', "",
             "[[pops]]", 'name = "p1"', 'location = "loopback"', 'network = "AS64500"', 'region = "eu"', ""]
    for index, name in enumerate(names, start=1):
        roles = '["configd", "dns"]' if name == "n1" else '["configd"]'
        lines += ["  [[pops.servers]]", f'  name = "{name}"', f'  addresses = ["{base}.{index}"]', f"  roles = {roles}"]
        if children[name]:
            lines.append("  forwards_to = [" + ", ".join(f'"{c}"' for c in children[name]) + "]")
        lines.append("")
    text = "\n".join(lines) + "\n"
    filler = "# " + "x" * 97 + "\n"
    text += filler * max(0, (size_bytes - len(text)) // len(filler))
    return text


def cpu_ms(pids):
    """User+system CPU time of the given processes (all their threads), in ms."""
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def tool_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--udn", default=str(REPO / "build" / "release" / "udn"))
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--middle", type=int, default=7)
    parser.add_argument("--size-bytes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--state-root", default=None,
                        help="where the nodes keep their stores (default: the system temp dir, i.e. disk; /dev/shm = RAM)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (daemon logs, stores) at the end")
    parser.add_argument("--perf", default=None, metavar="FILE",
                        help="record the daemons with `perf record -g` into FILE during the pushes only")
    args = parser.parse_args()
    if not os.path.exists(args.udn):
        sys.exit(f"no udn binary at {args.udn}: run `make build` first or pass --udn")

    names = [f"n{i}" for i in range(1, args.nodes + 1)]
    middle = names[1:1 + args.middle]
    children = {name: [] for name in names}
    children["n1"] = list(middle)
    for index, leaf in enumerate(names[1 + args.middle:]):
        children[middle[index % len(middle)]].append(leaf)
    base = f"127.{random.randint(100, 250)}.{random.randint(0, 250)}"
    with socket.socket() as probe:
        probe.bind((f"{base}.1", 0))
        port = probe.getsockname()[1]

    work = pathlib.Path(tempfile.mkdtemp(prefix="udn-bench-push-", dir=args.state_root))
    initial = work / "v1.toml"
    initial.write_text(render(base, port, names, children, 1, args.size_bytes))
    daemons = []
    try:
        for name in names:
            log = open(work / f"{name}.log", "wb")
            daemons.append(subprocess.Popen(
                [args.udn, "configd", "--config", str(initial), "--server", name, "--state-dir",
                 str(work / "nodes" / name), "--sync-interval-ms", "3600000"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for index in range(1, args.nodes + 1):
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection((f"{base}.{index}", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit(f"node n{index} did not start; see {work}")
                    time.sleep(0.05)
        recorder = None
        if args.perf:
            recorder = subprocess.Popen(["perf", "record", "-g", "-o", args.perf, "-p",
                                         ",".join(str(daemon.pid) for daemon in daemons)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        times = []
        for round_number in range(args.rounds):
            version = round_number + 2
            path = work / f"v{version}.toml"
            path.write_text(render(base, port, names, children, version, args.size_bytes))
            daemons_before = cpu_ms([daemon.pid for daemon in daemons])
            tool_before = tool_cpu_ms()
            start = time.monotonic()
            result = subprocess.run([args.udn, "admin", "push", str(path), "--config", str(initial), "--key",
                                     str(REPO / "examples" / "demo-admin.key"), "--journal", str(work / "journal.json"),
                                     "--json"], capture_output=True, text=True, timeout=120)
            elapsed = time.monotonic() - start
            daemons_cpu = cpu_ms([daemon.pid for daemon in daemons]) - daemons_before
            tool_cpu = tool_cpu_ms() - tool_before
            report = json.loads(result.stdout)
            committed = sum(1 for node in report["nodes"] if node["state"] == "committed")
            if result.returncode != 0 or committed != args.nodes:
                sys.exit(f"round {round_number + 1}: {committed}/{args.nodes} committed: {report['summary']}")
            times.append(elapsed)
            print(f"round {round_number + 1}: version {version}, {path.stat().st_size} bytes to {args.nodes} nodes, "
                  f"all committed in {elapsed * 1000:.0f} ms (CPU: daemons {daemons_cpu:.0f} ms, tool {tool_cpu:.0f} ms; "
                  f"load {os.getloadavg()[0]:.2f})")
        if recorder is not None:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        print(f"push of {args.size_bytes} bytes to {args.nodes} nodes (3 levels, 1/{args.middle}/"
              f"{args.nodes - 1 - args.middle}): median {statistics.median(times) * 1000:.0f} ms, "
              f"best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms (target < 1000 ms)")
    finally:
        for daemon in daemons:
            if daemon.poll() is None:
                os.kill(daemon.pid, signal.SIGTERM)
        for daemon in daemons:
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(daemon.pid, signal.SIGKILL)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
