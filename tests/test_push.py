"""`datateam push`: the SPARQL 1.1 Graph Store Protocol upload, against a real Oxigraph server."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import rdflib
import rdflib.compare
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.errors import DatateamError
from datateam.graph.output.push import graph_store_request_url, graph_store_url_for, parse_auth, push_knowledge_graph
from datateam.graph.store.remote import RemoteKnowledgeGraph
from datateam.graph.store.factory import load_knowledge_graph
from datateam.graph.store.rdf_files import user_graph_iri
from datateam.ontology.namespaces import BASE
from processes import stop

OXIGRAPH = Path(sys.executable).parent / "oxigraph"

TEAM = """\
@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/acme/> .

ex:guide a dt:Source ; dcterms:title "ACME role guide" ; dcterms:identifier "acme-guide" .
ex:data-wrangler a dt:Role ;
    skos:prefLabel "data wrangler"@en ;
    skos:definition "Cleans messy spreadsheets before anyone else sees them."@en ;
    dcterms:source ex:guide ;
    dt:usesTool <https://w3id.org/datateam-kg/tool/apache-airflow> .
"""
EXTRA = """\
ex:spreadsheet-whisperer a dt:Role ;
    skos:prefLabel "spreadsheet whisperer"@en ;
    skos:definition "Knows which cell breaks the quarterly report."@en ;
    dcterms:source ex:guide .
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def oxigraph_server(location: Path):
    port = free_port()
    proc = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:  # until our Oxigraph answers (and is still running: the port is ours)
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("oxigraph did not start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/query", timeout=2) as resp:
                    server = resp.headers.get("Server", "")
            except urllib.error.HTTPError as exc:
                server = exc.headers.get("Server", "")
            except OSError:
                time.sleep(0.05)
                continue
            if not server.startswith("Oxigraph/") or proc.poll() is not None:
                raise RuntimeError(f"port {port} is answered by something else ({server!r})")
            break
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop(proc, 10)


@pytest.fixture()
def oxigraph(tmp_path):
    with oxigraph_server(tmp_path / "store") as url:
        yield url


def invoke(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------


def test_graph_store_url_is_guessed_for_known_servers():
    assert graph_store_url_for("http://127.0.0.1:7878/query") == "http://127.0.0.1:7878/store"
    assert graph_store_url_for("http://localhost:3030/kg/sparql") == "http://localhost:3030/kg/data"
    assert graph_store_url_for("https://h/ds/sparql/") == "https://h/ds/data"
    with pytest.raises(DatateamError, match="--graph-store"):
        graph_store_url_for("http://localhost:7200/repositories/kg")
    assert (graph_store_request_url("http://h/store", BASE + "graph/user/a b&c")
            == "http://h/store?graph=https%3A%2F%2Fw3id.org%2Fdatateam-kg%2Fgraph%2Fuser%2Fa%20b%26c")
    assert graph_store_request_url("http://h/rdf-graphs/service?x=1", "http://g/1") == \
        "http://h/rdf-graphs/service?x=1&graph=http%3A%2F%2Fg%2F1"
    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    with pytest.raises(DatateamError, match="USER:PASSWORD"):
        parse_auth("ann")


def test_push_with_user_data_then_replace_it(oxigraph, runner, tmp_path):
    data = tmp_path / "acme-team.ttl"
    data.write_text(TEAM + EXTRA, encoding="utf-8")
    first = invoke(runner, "--data", str(data), "push", oxigraph, "--format", "json")
    assert first.exit_code == 0, first.output
    rows = {r["graph"]: r for r in json.loads(first.stdout)}
    user_graph = str(user_graph_iri(data))
    assert user_graph == BASE + "graph/user/acme-team"
    local = load_knowledge_graph([data])
    assert {g: r["triples"] for g, r in rows.items()} == {str(g): local.triple_count(g) for g in local.graph_names()}
    assert all(r["stored"] == r["triples"] and r["status"] == "created" for r in rows.values())
    # the user graph holds exactly the file's triples (parsed independently with rdflib)
    expected_user = len(rdflib.Graph().parse(data=TEAM + EXTRA, format="turtle"))
    assert rows[user_graph]["triples"] == expected_user
    remote = RemoteKnowledgeGraph(oxigraph)
    assert remote.ask("ASK { ?r skos:prefLabel \"spreadsheet whisperer\"@en }")

    # The file shrinks: pushing again replaces the graph (nothing of the old content is left).
    data.write_text(TEAM, encoding="utf-8")
    second = invoke(runner, "--data", str(data), "push", oxigraph, "--format", "json")
    again = {r["graph"]: r for r in json.loads(second.stdout)}
    assert again[user_graph]["triples"] == len(rdflib.Graph().parse(data=TEAM, format="turtle"))
    assert remote.triple_count(URIRef(user_graph)) == again[user_graph]["triples"] < expected_user
    assert not remote.ask("ASK { ?r skos:prefLabel \"spreadsheet whisperer\"@en }")
    assert {r["status"] for r in again.values()} == {"replaced"}
    for graph, row in again.items():
        if graph != user_graph:
            assert remote.triple_count(URIRef(graph)) == row["triples"] == rows[graph]["triples"]


def test_blank_nodes_travel_and_do_not_multiply(oxigraph, tmp_path):
    data = tmp_path / "with-blank-nodes.ttl"
    data.write_text(TEAM + 'ex:data-wrangler dt:note [ skos:note "a blank node"@en ; skos:note "two"@en ] .\n',
                    encoding="utf-8")
    kg = load_knowledge_graph([data], validate=False)
    graph = user_graph_iri(data)
    for _ in range(2):
        rows = push_knowledge_graph(kg, oxigraph)
        assert {r["graph"]: r["stored"] for r in rows}[str(graph)] == kg.triple_count(graph)
    remote = RemoteKnowledgeGraph(oxigraph)
    blanks = remote.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH ?g { ?b skos:note ?x } FILTER isBlank(?b) }")
    assert int(blanks[0]["n"]) == 1


def test_table_output_and_summary(oxigraph, runner):
    result = invoke(runner, "push", oxigraph)
    kg = load_knowledge_graph()
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["graph", "triples", "sent", "triples", "stored", "status"]
    assert "graph:olx-interview" in result.stdout
    total = sum(kg.triple_count(g) for g in kg.graph_names())
    assert f"pushed {len(kg.graph_names())} graph(s), {total} triples" in result.stderr


def test_explicit_graph_store_url(oxigraph, kg):
    store = oxigraph.replace("/query", "/store")
    rows = push_knowledge_graph(kg, oxigraph, graph_store_url=store, graphs=[URIRef(BASE + "graph/ontology")])
    assert rows == [{"graph": BASE + "graph/ontology", "triples": kg.triple_count(URIRef(BASE + "graph/ontology")),
                     "stored": kg.triple_count(URIRef(BASE + "graph/ontology")), "status": "created"}]


class _GraphStoreRecorder(BaseHTTPRequestHandler):
    """Records what a Graph Store Protocol client sends (method, graph, headers, body), to check the
    headers Oxigraph does not look at; answers 401 without the expected credentials."""

    requests: list = []

    def do_PUT(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        expected = "Basic " + base64.b64encode(b"ann:s3cret").decode()
        status = 201 if self.headers.get("Authorization") == expected else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_auth_and_headers_on_the_wire(runner, kg):
    _GraphStoreRecorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GraphStoreRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ontology = URIRef(BASE + "graph/ontology")
        rows = push_knowledge_graph(kg, f"{base}/query", auth=("ann", "s3cret"), graphs=[ontology], verify=False)
        assert rows == [{"graph": str(ontology), "triples": kg.triple_count(ontology), "stored": None,
                         "status": "created"}]
        sent = _GraphStoreRecorder.requests[0]
        assert urlsplit(sent["path"]).path == "/store"
        assert parse_qs(urlsplit(sent["path"]).query) == {"graph": [str(ontology)]}
        assert sent["headers"]["Content-Type"] == "application/n-triples"
        uploaded = rdflib.Graph().parse(data=sent["body"], format="nt")
        local = rdflib.Graph()
        for row in kg.select("SELECT ?s ?p ?o WHERE { GRAPH graph:ontology { ?s ?p ?o } }"):
            obj = row["o"]
            if isinstance(obj, rdflib.Literal) and obj.datatype == rdflib.XSD.string:
                obj = rdflib.Literal(str(obj))  # N-Triples writes xsd:string literals plainly
            local.add((row["s"], row["p"], obj))
        assert rdflib.compare.isomorphic(uploaded, local)
        # wrong credentials: one line naming the graph and the status
        result = invoke(runner, "push", f"{base}/query", "--auth", "ann:wrong")
        line = one_line_error(result)
        assert "answered HTTP 401" in line and "graph/" in line
    finally:
        server.shutdown()
        server.server_close()


def test_failures_are_one_line(oxigraph, runner):
    unreachable = f"http://127.0.0.1:{free_port()}/query"
    assert "cannot reach the graph store" in one_line_error(invoke(runner, "push", unreachable))
    wrong_store = one_line_error(invoke(runner, "push", oxigraph, "--graph-store", oxigraph.replace("/query", "/nope")))
    assert "uploading <https://w3id.org/datateam-kg/graph/" in wrong_store and "HTTP 404" in wrong_store
    assert "--endpoint" in one_line_error(invoke(runner, "--endpoint", oxigraph, "push", oxigraph))
    assert "--graph-store" in one_line_error(invoke(runner, "push", "http://127.0.0.1:1/repositories/kg"))
    assert "not an http://" in one_line_error(invoke(runner, "push", "file:///etc/passwd"))
