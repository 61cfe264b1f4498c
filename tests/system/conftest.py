"""Shared fixtures for system tests: real `udn` processes on loopback, always cleaned up.

Every process a test starts goes through `procs.start(...)`, runs in its own session, and is
stopped by PID (SIGTERM, then SIGKILL) when the test ends, whether it passed or failed.
"""
import os
import pathlib
import random
import signal
import socket
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
UDN_BIN = os.environ.get("UDN_BIN", str(REPO / "build" / "asan" / "udn"))

# Sanitizer reports must fail loudly; leak checking stays on.
os.environ.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")


def udn_bin():
    return UDN_BIN


class Process:
    def __init__(self, args, log_path, env=None):
        self.args = [str(a) for a in args]
        self.log_path = pathlib.Path(log_path)
        self.log_file = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            self.args, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, **(env or {})})

    @property
    def pid(self):
        return self.popen.pid

    def log(self):
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.popen.pid, sig)

    def stop(self, timeout=10.0):
        """SIGTERM, wait, then SIGKILL the process (by PID only). Returns the exit code."""
        if self.alive():
            os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.log_file.close()
        return self.popen.returncode


class Processes:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.started = []

    def start(self, args, name=None, env=None):
        name = name or pathlib.Path(str(args[0])).name
        process = Process(args, self.tmp_path / f"{name}-{len(self.started)}.log", env=env)
        self.started.append(process)
        return process

    def udn(self, *args, name=None, env=None):
        return self.start([UDN_BIN, *args], name=name or f"udn-{args[0]}", env=env)

    def stop_all(self):
        for process in reversed(self.started):
            process.stop()


@pytest.fixture
def procs(tmp_path):
    processes = Processes(tmp_path)
    yield processes
    processes.stop_all()


def run_udn(*args, timeout=60, check=False, input=None):
    """Runs `udn ARGS...` to completion and returns the CompletedProcess (text mode)."""
    return subprocess.run([UDN_BIN, *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=timeout, check=check, input=input)


def loopback_base():
    """A random 127.x.y.0 base so concurrent tests and a running demo never collide."""
    return f"127.{random.randint(100, 250)}.{random.randint(0, 250)}"


_ports_handed_out = set()


def free_port(address="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port free on `address` now, and never one handed out before in this test run: the kernel
    may give the same port to a second bind(0) once the first probing socket is closed, and a test
    that asked for two ports (the cache's HTTP and its disk back's) then got one port twice
    ("Address already in use" on a clean-clone CI run)."""
    for _ in range(1000):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((address, 0))
            port = s.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port
    raise RuntimeError(f"no free port on {address} that was not handed out already")


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_tcp(address, port, timeout=10.0):
    def connectable():
        try:
            with socket.create_connection((address, port), timeout=0.2):
                return True
        except OSError:
            return False
    return wait_until(connectable, timeout, what=f"tcp {address}:{port}")
