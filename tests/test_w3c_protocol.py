"""The W3C SPARQL 1.1 Protocol test suite against a real `datateam serve` on 127.0.0.1.

Requests and expectations are read from the suite's manifest (tests/data/w3c/sparql11-protocol/,
W3C-licensed: see its README). The server is started with the suite's data loaded through
`--data` (graphs named data0.rdf ... data3.rdf) and stopped at the end. The update tests need an
updatable endpoint and are left out; the 27 others (20 query tests, 7 malformed updates that
must be refused) must all pass.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF
from processes import stop

SUITE = Path(__file__).parent / "data" / "w3c" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
MANIFEST_NS = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "3xx", "4xx", ...
    result_format: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    requests: list[ProtocolRequest] = field(default_factory=list)

    @property
    def needs_update(self) -> bool:
        """True for the tests an updatable endpoint only can pass (they change data and check it)."""
        return self.name.startswith("update_")


def load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).removeprefix(MANIFEST_NS))
        action = graph.value(entry, MF.action)
        for req in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(req, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = None
            body_node = graph.value(req, HT.body)
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            resp = graph.value(req, HT.resp)
            statuses = {str(s).removeprefix(str(HTS)).removeprefix("StatusCode").lower()
                        for s in graph.objects(resp, MF.expectedStatus)}
            fmt = graph.value(resp, MF.expectedFormat)
            boolean = graph.value(resp, MF.expectedBoolean)
            test.requests.append(ProtocolRequest(
                str(graph.value(req, HT.methodName)), str(graph.value(req, HT.absolutePath)), headers, body,
                statuses, str(fmt) if fmt is not None else None,
                boolean.toPython() if boolean is not None else None))
        tests.append(test)
    return tests


TESTS = load_manifest()
QUERY_TESTS = [t for t in TESTS if not t.needs_update]


def test_the_suite_has_27_tests_for_a_read_only_endpoint():
    assert len(TESTS) == 34
    assert len(QUERY_TESTS) == 27
    # the 20 query tests, and the 7 that send a malformed update (a read-only endpoint refuses them too)
    assert sum(t.name.startswith(("query_", "bad_query_", "bad_multiple_queries")) for t in QUERY_TESTS) == 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    command = shutil.which("datateam", path=str(Path(sys.executable).parent))
    assert command, "the console command is installed next to the interpreter"
    port = _free_port()
    data = [arg for i in range(4) for arg in ("--data", str(SUITE / f"data{i}.nq"))]
    proc = subprocess.Popen([command, "serve", *data, "--port", str(port), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"datateam serve exited: {proc.stderr.read()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/info")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("datateam serve did not start listening")
            time.sleep(0.2)
        yield port
    finally:
        stop(proc, 20)


def _send(port: int, req: ProtocolRequest) -> tuple[int, str, bytes]:
    path = "/sparql" + req.path[len("/sparql/"):]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(req.method, path, body=req.body, headers=req.headers)
        resp = conn.getresponse()
        return resp.status, (resp.getheader("Content-Type") or "").split(";")[0].strip(), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("test", QUERY_TESTS, ids=lambda t: t.name)
def test_protocol(server, test):
    for req in test.requests:
        status, media_type, body = _send(server, req)
        assert f"{status // 100}xx" in req.statuses, (status, body[:300])
        if req.result_format in ("boolean", "tabular"):
            assert media_type in RESULT_FORMATS, media_type
            parsed = ox.parse_query_results(body, format=RESULT_FORMATS[media_type])
            if req.result_format == "boolean":
                assert isinstance(parsed, ox.QueryBoolean)
                if req.boolean is not None:
                    assert bool(parsed) is req.boolean
            else:
                assert isinstance(parsed, ox.QuerySolutions)
                list(parsed)
        elif req.result_format == "RDF":
            assert media_type in RDF_FORMATS, media_type
            list(ox.parse(body, format=RDF_FORMATS[media_type]))


def test_relative_iris_resolve_against_the_endpoint(server):
    req = next(r for t in QUERY_TESTS if t.name == "query_content_type_construct" for r in t.requests)
    _status, media_type, body = _send(server, ProtocolRequest(
        "POST", "/sparql/", {"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        b"CONSTRUCT { <s> <p> 1 } WHERE {}", {"2xx"}, "RDF", None))
    assert req.result_format == "RDF"
    base = f"http://127.0.0.1:{server}/"
    assert media_type == "application/n-triples"
    assert body.decode() == (f"<{base}s> <{base}p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")


def test_an_unknown_dataset_graph_is_refused(server):
    status, _media_type, body = _send(server, ProtocolRequest(
        "GET", "/sparql/?query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fexample.org%2Fnowhere", {}, None,
        {"4xx"}, None, None))
    assert status == 400
    assert body.decode() == ("default-graph-uri 'http://example.org/nowhere' names no graph of this endpoint, which "
                             "does not fetch data from elsewhere; its graphs are listed by GET /sparql (the service "
                             "description) and /api/info\n")


def test_the_manifest_names_the_graphs_served():
    graphs = set()
    for i in range(4):
        for quad in ox.parse(path=str(SUITE / f"data{i}.nq"), format=ox.RdfFormat.N_QUADS):
            graphs.add(quad.graph_name.value)
    text = (SUITE / "manifest.ttl").read_text(encoding="utf-8")
    assert graphs == {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in range(4)}
    assert all(g.replace(":", "%3A").replace("/", "%2F") in text for g in graphs)
