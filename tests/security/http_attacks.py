"""Helpers for the attacks on `datateam serve`: servers on 127.0.0.1 (in this process or as the
console command) and clients that speak raw bytes, from chosen loopback source addresses.

Every server listens on a free port of 127.0.0.1 and is stopped by the test that started it; every
client talks to loopback only, with bounded counts and timeouts.
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest

from datateam.queries.server.http_server import make_server

DATATEAM = Path(sys.executable).parent / "datateam"
# Four unconstrained patterns over ~5,000 triples: 10^14 solutions, never finishes on its own.
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SMALL_QUERY = "ASK { role:data-engineer dt:usesTool tool:apache-airflow }"


@contextmanager
def running_server(kg, **config):
    """A datateam endpoint served from a thread of this process; yields the EndpointServer."""
    config.setdefault("log", False)
    server = make_server(kg, "127.0.0.1", 0, **config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        if hasattr(server, "wait_started"):
            server.wait_started(30)
        yield server
    finally:
        server.shutdown()
        server.stop(grace=30)
        thread.join(30)


class ServedCommand:
    """`datateam serve` in a subprocess: its URL, port, pid and everything it wrote on stderr."""

    def __init__(self, *args: str, env=None, preexec_fn=None):
        self.proc = subprocess.Popen([str(DATATEAM), "serve", "--port", "0", *args], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn)
        self.lines: list[str] = []
        first = self.proc.stderr.readline()
        self.lines.append(first)
        match = re.search(r"(http://127\.0\.0\.1:(\d+)/)sparql", first)
        if not match:
            rest = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise AssertionError(f"the server did not start: {first}{rest}")
        self.url, self.port = match.group(1), int(match.group(2))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def status(self, field: str) -> int:
        """A field of /proc/PID/status in bytes (VmHWM, VmSize...)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def limit(self, name: str) -> tuple[str, str]:
        """(soft, hard) of a line of /proc/PID/limits, e.g. "Max open files"."""
        for line in Path(f"/proc/{self.proc.pid}/limits").read_text().splitlines():
            if line.startswith(name):
                soft, hard = line[len(name):].split()[:2]
                return soft, hard
        raise KeyError(name)

    def stop(self, timeout: float = 40) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if hasattr(self, "_reader"):
            self._reader.join(5)
        return self.proc.returncode


@contextmanager
def served_command(*args: str, **kwargs):
    served = ServedCommand(*args, **kwargs)
    try:
        yield served
    finally:
        served.stop()


class RawAnswer:
    """What came back on a raw connection: status line, headers, body, and how long it took."""

    def __init__(self, data: bytes, seconds: float):
        self.data = data
        self.seconds = seconds
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        self.status_line = lines[0].decode("latin-1") if lines else ""
        match = re.match(r"HTTP/1\.[01] (\d{3})", self.status_line)
        self.status = int(match.group(1)) if match else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            self.headers[name.strip().lower()] = value.strip()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_exchange(port: int, data: bytes, *, read_timeout: float = 10, source: str = "127.0.0.1",
                 pause: float = 0.0) -> RawAnswer:
    """Send `data` on a fresh connection and read until the server closes it (or read_timeout)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout, source_address=(source, 0)) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if pause:
            time.sleep(pause)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
        except ConnectionResetError:
            chunks.append(b"")
    return RawAnswer(b"".join(chunks), time.monotonic() - started)


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            source: str = "127.0.0.1", timeout: float = 60) -> tuple[int, dict, bytes, float]:
    """One HTTP request with http.client from `source` (a loopback address): status, headers, body, seconds."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, time.monotonic() - started
    finally:
        conn.close()


def post_query(port: int, text: str, *, source: str = "127.0.0.1", headers: dict | None = None,
               timeout: float = 60) -> tuple[int, dict, bytes, float]:
    """POST a query as a form, as the SPARQL 1.1 Protocol allows."""
    body = urllib.parse.urlencode({"query": text}).encode()
    all_headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json", **(headers or {})}
    return request(port, "POST", "/sparql", body=body, headers=all_headers, source=source, timeout=timeout)


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def small_query_answered(port: int, source: str = "127.0.0.1", timeout: float = 60) -> float:
    """POST SMALL_QUERY from `source`, check the exact answer (true), return the seconds it took."""
    import json

    status, _, body, seconds = post_query(port, SMALL_QUERY, source=source, timeout=timeout)
    assert status == 200, body[:300]
    assert json.loads(body) == {"head": {}, "boolean": True}
    return seconds


class QuerySpy:
    """Records the text of every query that reaches run_query, then runs it for real."""

    def __init__(self, real):
        self.real = real
        self.texts: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, kg, text, **kwargs):
        with self.lock:
            self.texts.append(text)
        return self.real(kg, text, **kwargs)

    def ran(self, marker: str) -> int:
        """How many queries containing `marker` reached evaluation."""
        with self.lock:
            return sum(marker in t for t in self.texts)


@pytest.fixture()
def spy(monkeypatch):
    """A QuerySpy in place of run_query (the server imports it from its module at each query)."""
    import datateam.queries.engine.execute as execute

    recorder = QuerySpy(execute.run_query)
    monkeypatch.setattr(execute, "run_query", recorder)
    return recorder
