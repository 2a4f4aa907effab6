"""The HTTP client under `--endpoint` and `push`: one kept-alive connection per endpoint, the
environment's proxy for remote hosts (never for loopback), against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rdflib import Literal, URIRef

from datateam.graph.output.push import push_knowledge_graph
from datateam.graph.store.http_client import proxy_for
from datateam.graph.store.remote import RemoteKnowledgeGraph
from datateam.ontology.namespaces import BASE

ANSWER = json.dumps({"head": {"vars": ["n"]},
                     "results": {"bindings": [{"n": {"type": "literal", "value": "7"}}]}}).encode()
SEVEN = Literal("7", datatype=URIRef("http://www.w3.org/2001/XMLSchema#string"))  # what Oxigraph's parser gives for a plain literal


class _Counting(BaseHTTPRequestHandler):
    """An HTTP/1.1 server that keeps connections open and records each connection and request.

    Reached as a proxy it sees the absolute URL in the request line, which it records as it came.
    """

    protocol_version = "HTTP/1.1"
    connections: list = []
    requests: list = []

    def setup(self):
        super().setup()
        type(self).connections.append(self.client_address)

    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        type(self).requests.append({"line": self.requestline, "connection": len(type(self).connections),
                                    "headers": dict(self.headers), "body": body})

    def do_POST(self):  # noqa: N802
        self._record()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def do_PUT(self):  # noqa: N802
        self._record()
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def counting_server():
    handler = type("Handler", (_Counting,), {"connections": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def no_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_two_queries_share_one_connection(no_proxy_env):
    with counting_server() as (base, seen):
        remote = RemoteKnowledgeGraph(f"{base}/query", timeout=10, union="native")
        try:
            assert remote.select("SELECT (7 AS ?n) {}") == [{"n": SEVEN}]
            assert remote.select("SELECT (7 AS ?n) {}") == [{"n": SEVEN}]
        finally:
            remote.close()
        assert [r["line"] for r in seen.requests] == ["POST /query HTTP/1.1", "POST /query HTTP/1.1"]
        assert [r["connection"] for r in seen.requests] == [1, 1]
        assert len(seen.connections) == 1
        assert "close" not in seen.requests[1]["headers"].get("Connection", "").lower()


def test_close_releases_the_connection_and_the_next_query_opens_one(no_proxy_env):
    with counting_server() as (base, seen):
        remote = RemoteKnowledgeGraph(f"{base}/query", timeout=10, union="native")
        remote.select("SELECT (7 AS ?n) {}")
        remote.close()
        remote.select("SELECT (7 AS ?n) {}")
        remote.close()
        assert [r["connection"] for r in seen.requests] == [1, 2]


def test_push_uploads_every_graph_over_one_connection(no_proxy_env, kg):
    graphs = [URIRef(BASE + "graph/ontology"), URIRef(BASE + "graph/curation")]
    with counting_server() as (base, seen):
        rows = push_knowledge_graph(kg, f"{base}/query", graphs=graphs, auth=("ann", "s3cret"), verify=False)
        assert [r["status"] for r in rows] == ["created", "created"]
        assert [r["line"].split("?")[0] for r in seen.requests] == ["PUT /store", "PUT /store"]
        assert [r["connection"] for r in seen.requests] == [1, 1]
        assert {r["headers"]["Authorization"] for r in seen.requests} == {"Basic YW5uOnMzY3JldA=="}


def test_a_remote_host_is_reached_through_the_environments_proxy(no_proxy_env):
    with counting_server() as (proxy, seen):
        no_proxy_env.setenv("HTTP_PROXY", proxy)
        remote = RemoteKnowledgeGraph("http://sparql.example.invalid:8890/query", timeout=10, union="native")
        try:
            assert remote.select("SELECT (7 AS ?n) {}") == [{"n": SEVEN}]
        finally:
            remote.close()
        assert [r["line"] for r in seen.requests] == ["POST http://sparql.example.invalid:8890/query HTTP/1.1"]
        assert seen.requests[0]["headers"]["Host"] == "sparql.example.invalid:8890"


def test_loopback_and_no_proxy_hosts_are_never_proxied(no_proxy_env):
    with counting_server() as (proxy, proxy_seen), counting_server() as (base, seen):
        no_proxy_env.setenv("HTTP_PROXY", proxy)
        no_proxy_env.setenv("NO_PROXY", "internal.example")
        remote = RemoteKnowledgeGraph(f"{base}/query", timeout=10, union="native")
        try:
            remote.select("SELECT (7 AS ?n) {}")
        finally:
            remote.close()
        assert len(seen.requests) == 1 and proxy_seen.requests == []
        assert proxy_for("http://localhost:7878/query") is None
        assert proxy_for("http://[::1]:7878/query") is None
        assert proxy_for("http://127.0.0.2:7878/query") is None
        assert proxy_for("http://db.internal.example/sparql") is None
        assert proxy_for("http://sparql.example.org/sparql") == proxy
