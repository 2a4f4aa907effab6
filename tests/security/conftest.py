"""Fixtures for the attack tests: a trap server on loopback, a real `oxigraph serve`, scratch stores.

The trap is a plain TCP listener on 127.0.0.1 that records every connection it accepts (and answers
an HTTP request with an empty SPARQL result, so an engine that reaches it sees a valid reply). A
test that expects no network use asserts that the trap recorded nothing; its control asserts the
trap does record the same request when the wall or the check is out of the way.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from processes import stop

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
_BODY = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
_REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nConnection: close\r\n"
          b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)


class Trap:
    """A loopback TCP listener that records each connection (the first line it receives)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        with conn:
            conn.settimeout(2)
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                with self._lock:
                    self.connections.append(data.split(b"\r\n", 1)[0])
                conn.sendall(_REPLY)
            except OSError:
                with self._lock:
                    self.connections.append(data.split(b"\r\n", 1)[0])

    def count(self, settle: float = 0.2) -> int:
        """Connections recorded so far (after a short wait for one still being accepted)."""
        time.sleep(settle)
        with self._lock:
            return len(self.connections)

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(5)


@pytest.fixture()
def trap():
    server = Trap()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def module_trap():
    """One trap for a whole module (hypothesis tests cannot take function-scoped fixtures)."""
    server = Trap()
    try:
        yield server
    finally:
        server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, limit: float = 60.0) -> None:
    """Wait until `url` answers over HTTP (any status) while `proc` still runs."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def running(args: list[str], probe: str):
    """Run a server process on loopback, wait until `probe` answers, stop it afterwards."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_http(probe, proc)
        yield proc
    finally:
        stop(proc, 15)


@pytest.fixture()
def oxigraph_endpoint(tmp_path):
    """A real `oxigraph serve` on 127.0.0.1:<free port> with an empty store; yields its query URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    with running([str(OXIGRAPH), "serve", "--bind", f"127.0.0.1:{port}", "--location", str(tmp_path / "ox")], url):
        yield url


BAIT_GRAPH = "http://bait.example/g"


def _bait_store():
    """A store whose one named graph has the triples the attack patterns need to match (so no join
    is empty and skips a SERVICE call before it is made)."""
    import pyoxigraph as ox

    store = ox.Store()
    graph = ox.NamedNode(BAIT_GRAPH)
    subject, predicate = ox.NamedNode("http://bait.example/s"), ox.NamedNode("http://bait.example/p")
    for obj in (ox.NamedNode("http://a.example/x.y"), ox.NamedNode("http://[::1]"),
                ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))):
        store.add(ox.Quad(subject, predicate, obj, graph))
    return store


@pytest.fixture()
def bait_store():
    """A factory of fresh bait stores (pyoxigraph.Store)."""
    return _bait_store


@pytest.fixture(scope="module")
def served():
    """The installed `datateam serve` on 127.0.0.1:<free port>; yields its /sparql URL."""
    port = free_port()
    exe = Path(sys.executable).parent / "datateam"
    url = f"http://127.0.0.1:{port}/sparql"
    with running([str(exe), "serve", "--port", str(port), "--timeout", "10", "--quiet"], url):
        yield url
