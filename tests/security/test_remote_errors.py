"""A hostile or broken remote endpoint (`--endpoint URL`): every failure is one line, and fast.

The endpoint here is a real socket server on 127.0.0.1 written to misbehave: it answers an HTML
page, JSON that is not SPARQL results, an XML bomb, a body cut short, or it accepts and then
stalls or trickles one byte at a time (in the headers or in the body). A real `oxigraph serve`
running a query that never ends checks the time limit against a real server. Each case runs the
real CLI in-process (click's runner) and checks the exact message, the exit status and the time.
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
from click.testing import CliRunner

from datateam.cli import main
from datateam.graph.store.remote import RemoteEndpointError, RemoteKnowledgeGraph
from datateam.queries.sparql.errors import QueryTimeoutError
from processes import stop

OXIGRAPH = Path(sys.executable).parent / "oxigraph"

BOMB_ENTITIES = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
BOMB_PROLOG = '<?xml version="1.0"?><!DOCTYPE sparql [<!ENTITY l0 "lol">' + BOMB_ENTITIES + "]>"
XML_RESULTS_BOMB = (BOMB_PROLOG + '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/>'
                    '</head><results><result><binding name="x"><literal>&l9;</literal></binding></result></results>'
                    "</sparql>").encode()
RDFXML_BOMB = (BOMB_PROLOG.replace("sparql [", "rdf:RDF [")
               + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               'xmlns:s="http://www.w3.org/2004/02/skos/core#"><rdf:Description rdf:about="http://e/x">'
               "<s:prefLabel>&l9;</s:prefLabel></rdf:Description></rdf:RDF>").encode()
GRAPH_LIST = b"GRAPH%20%3Fg%20%7B%20%7D"  # the graph-list query, as the client form-encodes it
EMPTY_GRAPHS = b'{"head": {"vars": ["g"]}, "results": {"bindings": []}}'


class HostileEndpoint:
    """A socket server on 127.0.0.1 whose answer depends on the path; stops every handler on close()."""

    def __init__(self):
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[tuple[str, str]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.stop.set()
        self.sock.close()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket):
        conn.settimeout(30)
        try:
            with conn:
                while not self.stop.is_set():
                    method, path, body = self._read_request(conn)
                    if method is None:
                        return
                    self.requests.append((method, path))
                    if not self._answer(conn, method, path, body):
                        return
        except OSError:
            return

    @staticmethod
    def _read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None, None, None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return method, path, body

    def _send(self, conn, status: str, media: str, body: bytes, length: int | None = None):
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {media}\r\nContent-Length: "
                f"{len(body) if length is None else length}\r\n\r\n").encode()
        conn.sendall(head + body)

    def _trickle(self, conn, data: bytes, seconds: float = 0.2):
        for byte in data:
            if self.stop.wait(seconds):
                return
            conn.sendall(bytes([byte]))

    def _answer(self, conn, method: str, path: str, body: bytes) -> bool:
        """Answer one request; False closes the connection."""
        json_results = "application/sparql-results+json"
        if method == "GET" and not path.startswith("/sd-"):
            self._send(conn, "404 Not Found", "text/plain", b"no service description here\n")
            return True
        if GRAPH_LIST in body and not path.startswith("/graphs-"):
            self._send(conn, "200 OK", json_results, EMPTY_GRAPHS)
            return True
        if path.startswith("/html"):
            self._send(conn, "200 OK", "text/html; charset=utf-8",
                       b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>Login</body></html>")
        elif path.startswith("/odd-json"):
            self._send(conn, "200 OK", json_results, b'{"status": "ok", "items": [1, 2, 3]}')
        elif path.startswith("/json-array"):
            self._send(conn, "200 OK", "application/json", b"[1, 2, 3]")
        elif path.startswith(("/xml-bomb", "/graphs-xml-bomb")):
            self._send(conn, "200 OK", "application/sparql-results+xml", XML_RESULTS_BOMB)
        elif path.startswith("/rdfxml-bomb"):
            self._send(conn, "200 OK", "application/rdf+xml", RDFXML_BOMB)
        elif path.startswith("/truncated"):
            self._send(conn, "200 OK", json_results, b'{"head": {"vars": ["x"]}, "results": {"bi', length=4000)
            return False
        elif path.startswith(("/stall", "/sd-stall")):
            self.stop.wait(60)
            return False
        elif path.startswith(("/trickle-headers", "/graphs-trickle-headers")):
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            self._trickle(conn, b"X-Padding: " + b"a" * 300 + b"\r\n")
            return False
        elif path.startswith("/trickle-body"):
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {json_results}\r\nContent-Length: 300\r\n\r\n".encode())
            self._trickle(conn, b" " * 300)
            return False
        else:
            self._send(conn, "500 Internal Server Error", "text/plain", b"unknown test path\n")
        return True


@pytest.fixture()
def hostile():
    server = HostileEndpoint()
    try:
        yield server
    finally:
        server.close()


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)


def one_line_error(result) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


NATIVE = {"DATATEAM_ENDPOINT_UNION": "native"}


# ---------------------------------------------------------------------------------------------
# Answers that are not what the protocol says


def test_an_html_page_is_one_line(hostile):
    line = one_line_error(run("--endpoint", f"{hostile.url}/html", "roles", env=NATIVE))
    assert line == (f"error: the SPARQL endpoint at {hostile.url}/html answered with 'text/html' while running "
                    "the query, not SPARQL results or RDF (is the URL its SPARQL query endpoint?)")


@pytest.mark.parametrize("path, detail", [
    ("/odd-json", "SPARQL JSON results must contain a 'boolean' or a 'results' key"),
    ("/json-array", "SPARQL JSON results must be an object"),
])
def test_json_that_is_not_sparql_results_is_one_line(hostile, path, detail):
    line = one_line_error(run("--endpoint", f"{hostile.url}{path}", "roles", env=NATIVE))
    assert line.startswith(f"error: the SPARQL endpoint at {hostile.url}{path} sent a ")
    assert line.endswith(f"answer that cannot be read while running the query: {detail}")


def test_odd_json_in_the_graph_list_is_one_line(hostile):
    # In dataset mode the first request lists the named graphs; its answer is read as strictly.
    url = f"{hostile.url}/graphs-xml-bomb"
    line = one_line_error(run("--endpoint", url, "roles", env={"DATATEAM_ENDPOINT_UNION": "dataset"}))
    assert line.startswith(f"error: the SPARQL endpoint at {url} sent a application/sparql-results+xml answer "
                           "that cannot be read while listing its named graphs: ")
    assert "DOCTYPE declares entities" in line


def test_an_xml_bomb_in_query_results_is_refused_before_parsing(hostile):
    started = time.monotonic()
    line = one_line_error(run("--endpoint", f"{hostile.url}/xml-bomb", "query", "-e", "SELECT ?x WHERE { ?x ?p ?o }",
                              env=NATIVE))
    assert time.monotonic() - started < 20
    assert "sent a application/sparql-results+xml answer that cannot be read while running the query" in line
    assert "the XML document's DOCTYPE declares entities or other markup" in line


def test_an_xml_bomb_in_a_graph_answer_is_refused_before_parsing(hostile):
    remote = RemoteKnowledgeGraph(f"{hostile.url}/rdfxml-bomb", union="native", timeout=10)
    with pytest.raises(RemoteEndpointError, match="DOCTYPE declares entities") as info:
        remote.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert "application/rdf+xml answer that cannot be read while running the query" in str(info.value)
    line = one_line_error(run("--endpoint", f"{hostile.url}/rdfxml-bomb", "query", "-e",
                              "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", env=NATIVE))
    assert "DOCTYPE declares entities" in line


def test_a_body_cut_short_is_one_line(hostile):
    line = one_line_error(run("--endpoint", f"{hostile.url}/truncated", "roles", env=NATIVE))
    assert line.startswith(f"error: the SPARQL endpoint at {hostile.url}/truncated sent a broken or incomplete "
                           "answer while running the query: ")
    assert "4000" in line  # the length it promised


# ---------------------------------------------------------------------------------------------
# --timeout governs every request, the first ones included


def timed(*args, env=None):
    started = time.monotonic()
    result = run(*args, env=env)
    return result, time.monotonic() - started


def test_timeout_covers_the_service_description(hostile):
    # The first request of the default (auto) mode reads the service description; this server
    # accepts it and never answers. DATATEAM_ENDPOINT_TIMEOUT (60 s) must not be what governs it.
    result, elapsed = timed("--endpoint", f"{hostile.url}/sd-stall", "query", "-e", "SELECT * WHERE { ?s ?p ?o }",
                            "--timeout", "2")
    line = one_line_error(result)
    assert result.exit_code == 3
    assert line == (f"error: the SPARQL endpoint at {hostile.url}/sd-stall did not answer within 2 s while reading "
                    "its service description (raise the limit with --timeout)")
    assert 1.5 < elapsed < 15


def test_timeout_covers_the_graph_list_sent_slowly(hostile):
    # Dataset mode lists the named graphs first; the server trickles its headers a byte at a time,
    # so no single read waits long: only a deadline over the whole exchange stops it.
    result, elapsed = timed("--endpoint", f"{hostile.url}/graphs-trickle-headers", "query", "-e",
                            "SELECT * WHERE { ?s ?p ?o }", "--timeout", "2",
                            env={"DATATEAM_ENDPOINT_UNION": "dataset"})
    assert result.exit_code == 3
    assert one_line_error(result) == (
        f"error: the SPARQL endpoint at {hostile.url}/graphs-trickle-headers did not answer within 2 s while "
        "listing its named graphs (raise the limit with --timeout)")
    assert 1.5 < elapsed < 15


@pytest.mark.parametrize("path", ["/stall", "/trickle-headers", "/trickle-body"])
def test_timeout_bounds_the_query_however_the_server_stalls(hostile, path):
    result, elapsed = timed("--endpoint", f"{hostile.url}{path}", "query", "-e", "SELECT * WHERE { ?s ?p ?o }",
                            "--timeout", "2", env=NATIVE)
    assert result.exit_code == 3
    assert one_line_error(result) == (f"error: the SPARQL endpoint at {hostile.url}{path} did not answer within 2 s "
                                      "while running the query (raise the limit with --timeout)")
    assert 1.5 < elapsed < 15


def test_one_deadline_covers_name_lookups_and_the_query(hostile):
    # A named query with a role parameter first resolves the name (a query of its own), then runs.
    # Both go to a server that never answers: the whole command still ends at the limit.
    result, elapsed = timed("--endpoint", f"{hostile.url}/stall", "query", "tools-of-role", "--param",
                            "role=data engineer", "--timeout", "2", env=NATIVE)
    assert result.exit_code == 3
    assert "did not answer within 2 s while running the query" in one_line_error(result)
    assert elapsed < 15


def test_environment_timeout_bounds_other_commands(hostile):
    result, elapsed = timed("--endpoint", f"{hostile.url}/sd-stall", "roles", env={"DATATEAM_ENDPOINT_TIMEOUT": "2"})
    assert result.exit_code == 3
    assert "did not answer within 2 s while reading its service description" in one_line_error(result)
    assert elapsed < 15


def test_api_timeout_is_a_query_timeout_error(hostile):
    remote = RemoteKnowledgeGraph(f"{hostile.url}/trickle-body", union="native", timeout=1)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as info:
        remote.select("SELECT * WHERE { ?s ?p ?o }")
    assert info.value.timeout == 1
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------------------------------------
# A real Oxigraph server running a query that never ends


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def oxigraph_serve(location: Path):
    port = free_port()
    proc = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/query", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "oxigraph did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop(proc, 10)


def test_timeout_stops_a_long_query_on_a_real_oxigraph(tmp_path):
    with oxigraph_serve(tmp_path / "store") as url:
        pushed = run("push", url, "--format", "json")
        assert pushed.exit_code == 0, pushed.output
        endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        result, elapsed = timed("--endpoint", url, "query", "-e", endless, "--timeout", "2")
        assert result.exit_code == 3
        assert one_line_error(result) == (f"error: the SPARQL endpoint at {url} did not answer within 2 s while "
                                          "running the query (raise the limit with --timeout)")
        assert 1.5 < elapsed < 15
        # The same server answers a small query afterwards, through the same kind of client.
        assert RemoteKnowledgeGraph(url, timeout=30).ask("ASK { role:data-engineer a dt:Role }") is True
