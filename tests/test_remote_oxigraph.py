"""`--endpoint URL`: every read command against a real Oxigraph server after `datateam push`.

The Oxigraph server (PyPI package `oxigraph`) is started by the tests on 127.0.0.1 on a free port,
with its data in a temporary directory, and stopped at the end.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef

from datateam.cli import main
from datateam.graph.errors import DatateamError
from datateam.graph.store.remote import RemoteEndpointError, RemoteKnowledgeGraph
from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from datateam.queries.sparql.errors import QuerySyntaxError, QueryTimeoutError
from datateam.queries.named.library import list_named_queries
from datateam.queries.server.http_server import make_server
from processes import stop

ROOT = Path(__file__).resolve().parent.parent
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
ROLES_QUERY = "SELECT DISTINCT ?role WHERE { ?role a dt:Role } ORDER BY ?role"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, proc: subprocess.Popen, limit: float = 30.0) -> None:
    """Wait until our Oxigraph answers on the port (and make sure it is ours: still running)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph exited: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/query", timeout=2) as resp:
                server = resp.headers.get("Server", "")
        except urllib.error.HTTPError as exc:
            server = exc.headers.get("Server", "")
        except OSError:
            time.sleep(0.05)
            continue
        if server.startswith("Oxigraph/") and proc.poll() is None:
            return
        raise RuntimeError(f"port {port} is answered by something else ({server!r})")
    raise RuntimeError("oxigraph did not start listening")


@contextmanager
def oxigraph_server(tmp_dir: Path | None, *extra: str):
    """Run `oxigraph serve` on 127.0.0.1:<free port>; yield its query endpoint URL; stop it."""
    port = free_port()
    args = [str(OXIGRAPH), "serve", "--bind", f"127.0.0.1:{port}", *extra]
    if tmp_dir is not None:
        args += ["--location", str(tmp_dir)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_listening(port, proc)
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop(proc, 10)


def invoke(runner, *args, env=None):
    return runner.invoke(main, list(args), catch_exceptions=False, env=env)


def json_output(runner, *args):
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """A real Oxigraph server holding the pushed knowledge base."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        from click.testing import CliRunner

        result = CliRunner().invoke(main, ["push", url, "--format", "json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        yield url


def local_graph_counts(kg) -> dict[str, int]:
    return {str(g): kg.triple_count(g) for g in kg.graph_names()}


# ---------------------------------------------------------------------------------------------
# Push, then the same answers


def test_push_sends_every_graph_and_the_server_holds_them(oxigraph, runner):
    rows = json_output(runner, "push", oxigraph, "--format", "json")
    expected = local_graph_counts(load_knowledge_graph())
    assert {r["graph"]: r["triples"] for r in rows} == expected
    assert {r["graph"]: r["stored"] for r in rows} == expected
    assert {r["status"] for r in rows} == {"replaced"}  # the fixture pushed once already
    # one graph per source document, plus ontology, curation and the ESCO alignment
    sources = {yaml.safe_load(p.read_text(encoding="utf-8"))["source"]["id"]
               for p in (ROOT / "ontology" / "sources").glob("0*.yaml")}
    assert {BASE + "graph/" + s for s in sources} | {BASE + "graph/ontology"} <= set(expected)


def test_push_twice_never_duplicates(oxigraph, runner):
    kg = load_knowledge_graph()
    remote = RemoteKnowledgeGraph(oxigraph)
    before = {str(g): remote.triple_count(g) for g in remote.graph_names()}
    total_before = remote.triple_count()
    invoke(runner, "push", oxigraph)
    invoke(runner, "push", oxigraph)
    after = {str(g): remote.triple_count(g) for g in remote.graph_names()}
    assert after == before == local_graph_counts(kg)
    assert remote.triple_count() == total_before == kg.triple_count()
    # the same number two ways: quads in all graphs counted in one query
    quads = remote.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
    assert int(quads) == sum(after.values())


def test_roles_are_the_same(oxigraph, runner):
    local = json_output(runner, "roles", "--format", "json")
    remote = json_output(runner, "--endpoint", oxigraph, "roles", "--format", "json")
    assert remote == local
    roles = set(yaml.safe_load((ROOT / "ontology/sources/entities.yaml").read_text(encoding="utf-8"))["roles"])
    assert {r["id"].rsplit("/", 1)[1] for r in remote} == roles


@pytest.mark.parametrize("name", ["data engineer", "DE", "airflow", "machine learning", "trained model",
                                  "orchestration", "data preparation"])
def test_show_is_the_same(oxigraph, runner, name):
    local = json_output(runner, "show", name, "--format", "json")
    remote = json_output(runner, "show", name, "--format", "json", "--endpoint", oxigraph)
    assert remote == local


def comparable(bindings: list[dict]) -> list[tuple]:
    """Rows as sorted tuples; the parts of a GROUP_CONCAT value ("a, b", "a; b") sorted, since SPARQL leaves
    their order to the engine's evaluation plan (which differs with the way parameters are bound)."""
    rows = []
    for binding in bindings:
        row = []
        for name in sorted(binding):
            term = dict(binding[name])
            if term["type"] == "literal" and re.search(r"[;,] ", term["value"]):
                term["value"] = "|".join(sorted(re.split(r"[;,] ", term["value"])))
            row.append((name, tuple(sorted(term.items()))))
        rows.append(tuple(row))
    return sorted(rows)


@pytest.mark.parametrize("name", [q.name for q in list_named_queries()])
def test_every_named_query_is_the_same(oxigraph, runner, name):
    local = invoke(runner, "query", name, "--format", "json")
    remote = invoke(runner, "query", name, "--format", "json", "--endpoint", oxigraph)
    assert RemoteKnowledgeGraph(oxigraph).union_mode == "native"
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout  # byte for byte: the same merge, sorted lists, a total ORDER BY


@pytest.mark.parametrize("name", [q.name for q in list_named_queries()])
def test_every_named_query_gives_the_same_bytes(oxigraph, kg, name):
    from datateam.queries.named.library import load_named_query, run_named_query

    query = load_named_query(name)
    remote = RemoteKnowledgeGraph(oxigraph)
    for fmt in ("json", "csv"):
        assert run_named_query(remote, query).serialize(fmt) == run_named_query(kg, query).serialize(fmt)


@pytest.mark.parametrize("name", ["tools-of-role", "shared-tools", "workflow-chain", "single-source-facts",
                                  "team-guidance"])
def test_named_queries_in_portable_dataset_mode(oxigraph, runner, name):
    local = json_output(runner, "query", name, "--format", "json")
    result = invoke(runner, "query", name, "--format", "json", "--endpoint", oxigraph,
                    env={"DATATEAM_ENDPOINT_UNION": "dataset"})
    assert result.exit_code == 0, result.output
    remote = json.loads(result.stdout)
    assert len(remote["results"]["bindings"]) == len(local["results"]["bindings"]) > 0
    assert comparable(remote["results"]["bindings"]) == comparable(local["results"]["bindings"])


def test_serve_in_front_of_a_remote_store(oxigraph, kg):
    server = make_server(RemoteKnowledgeGraph(oxigraph), port=0, log=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        body = urllib.parse.urlencode({"query": ROLES_QUERY}).encode()
        request = urllib.request.Request(server.url + "sparql", data=body,
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            rows = json.loads(resp.read())["results"]["bindings"]
        assert [URIRef(b["role"]["value"]) for b in rows] == [r["role"] for r in kg.select(ROLES_QUERY)]
        refused = urllib.parse.urlencode({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.url + "sparql?" + refused, timeout=60)
        assert info.value.code == 400
    finally:
        server.shutdown()
        server.stop(grace=10)


def test_console_command_with_endpoint(oxigraph):
    exe = Path(sys.executable).parent / "datateam"
    done = subprocess.run([str(exe), "--endpoint", oxigraph, "roles", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    local = subprocess.run([str(exe), "roles", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout) == json.loads(local.stdout)


def test_backend_contract(oxigraph, kg):
    remote = RemoteKnowledgeGraph(oxigraph)
    assert remote.graph_names() == kg.graph_names()
    assert remote.triple_count() == kg.triple_count()
    for graph in kg.graph_names():
        assert remote.triple_count(graph) == kg.triple_count(graph)
    query = "SELECT ?tool ?label WHERE { ?role dt:usesTool ?tool . ?tool skos:prefLabel ?label } ORDER BY ?tool ?label"
    role = URIRef(BASE + "role/data-engineer")
    assert remote.select(query, {"role": role}) == kg.select(query.replace("?role", f"<{role}>"))
    ask = "ASK { ?role dt:usesTool tool:apache-airflow }"
    assert remote.ask(ask, {"role": role}) is True
    assert remote.ask(ask, {"role": URIRef(BASE + "role/product-manager")}) is False
    construct = "CONSTRUCT { ?role dt:usesTool ?tool } WHERE { ?role dt:usesTool ?tool }"
    assert set(remote.construct(construct)) == set(kg.construct(construct))
    # a literal that tries to break out of its quotes stays a literal
    assert remote.select("SELECT ?x WHERE { ?r skos:prefLabel ?x }", {"x": Literal('"x" } ; DROP ALL #')}) == []
    assert remote.triple_count() == kg.triple_count()


def test_union_default_graph_modes(oxigraph, kg):
    dataset = RemoteKnowledgeGraph(oxigraph, union="dataset")
    native = RemoteKnowledgeGraph(oxigraph, union="native")
    parameter = RemoteKnowledgeGraph(oxigraph, union="oxigraph")
    auto = RemoteKnowledgeGraph(oxigraph)
    expected = kg.select(ROLES_QUERY)
    assert dataset.select(ROLES_QUERY) == expected
    assert parameter.select(ROLES_QUERY) == expected
    # push wrote the merge of the named graphs into the server's default graph, and auto reads it
    assert native.select(ROLES_QUERY) == expected
    assert auto.union_mode == "native" and auto.select(ROLES_QUERY) == expected
    # The merge holds each triple once, as the embedded store's default graph does; Oxigraph's
    # union of the named graphs (its parameter, or the protocol's dataset) is a bag.
    bag = "SELECT (COUNT(*) AS ?n) WHERE { ?role a dt:Role }"
    roles = len(expected)
    assert int(native.select(bag)[0]["n"]) == int(kg.select(bag)[0]["n"]) == roles
    per_source = int(dataset.select(bag)[0]["n"])
    assert per_source > roles
    # Oxigraph's union-default-graph parameter reads the default graph too, so the merge once more
    assert int(parameter.select(bag)[0]["n"]) == per_source + roles
    types = "SELECT ?t WHERE { role:data-engineer a ?t }"
    assert auto.select(types) == kg.select(types) == [{"t": URIRef(BASE + "ontology#Role")}]
    # A query naming its own dataset keeps it (no protocol parameters override FROM).
    only = "SELECT (COUNT(*) AS ?n) FROM graph:ontology WHERE { ?s ?p ?o }"
    ontology_count = kg.triple_count(URIRef(BASE + "graph/ontology"))
    assert int(dataset.select(only)[0]["n"]) == int(parameter.select(only)[0]["n"]) == ontology_count


def test_without_the_merge_an_oxigraph_server_is_asked_for_its_union(kg, tmp_path):
    with oxigraph_server(tmp_path) as url:
        graph = str(kg.graph_names()[0])
        from datateam.graph.output.push import push_knowledge_graph

        push_knowledge_graph(kg, url, graphs=[URIRef(graph)])  # one graph: no merge is written
        remote = RemoteKnowledgeGraph(url)
        assert remote.union_mode == "oxigraph"
        assert remote.graph_names() == [URIRef(graph)]


def test_server_with_union_default_graph_is_detected(kg, runner):
    with oxigraph_server(None, "--union-default-graph") as url:
        invoke(runner, "push", url)
        remote = RemoteKnowledgeGraph(url)
        assert remote.union_mode == "native"
        assert remote.select(ROLES_QUERY) == kg.select(ROLES_QUERY)
        assert json_output(runner, "query", "tools-of-role", "--format", "json", "--endpoint", url) == \
            json_output(runner, "query", "tools-of-role", "--format", "json")


def test_datateam_serve_as_the_remote_store(kg, runner):
    server = make_server(kg, port=0, log=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = server.url + "sparql"
        remote = RemoteKnowledgeGraph(url)
        assert remote.union_mode == "native"  # read from its service description
        assert remote.select(ROLES_QUERY) == kg.select(ROLES_QUERY)
        assert json_output(runner, "--endpoint", url, "show", "data scientist", "--format", "json") == \
            json_output(runner, "show", "data scientist", "--format", "json")
        assert RemoteKnowledgeGraph(url, union="dataset").select(ROLES_QUERY) == kg.select(ROLES_QUERY)
    finally:
        server.shutdown()
        server.stop(grace=10)


def test_syntax_errors_name_the_users_line(oxigraph):
    remote = RemoteKnowledgeGraph(oxigraph)
    with pytest.raises(QuerySyntaxError) as info:
        remote.select("SELECT ?r WHERE {\n  ?r a dt:Role\n  FILTER(\n}")
    assert info.value.line == 3


# ---------------------------------------------------------------------------------------------
# Failures: one line each


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def test_unreachable_endpoint(runner):
    url = f"http://127.0.0.1:{free_port()}/query"
    line = one_line_error(invoke(runner, "--endpoint", url, "roles"))
    assert line == f"error: cannot reach the SPARQL endpoint at {url}: Connection refused"


def test_http_error_with_status(oxigraph, runner):
    bad = oxigraph.replace("/query", "/nothing")
    line = one_line_error(invoke(runner, "--endpoint", bad, "roles"))
    assert "answered HTTP 404 Not Found" in line and bad in line


def test_not_a_url(runner):
    line = one_line_error(invoke(runner, "--endpoint", "ftp://example.org/sparql", "roles"))
    assert "not an http:// or https:// URL" in line


class _Misbehaving(BaseHTTPRequestHandler):
    """A test server: `/silent` never answers, `/slow-queries` lists (no) graphs but never answers a
    query, `/drip` answers one byte at a time, `/broken` fails."""

    protocol_version = "HTTP/1.1"
    stop = threading.Event()

    def do_GET(self):  # noqa: N802
        self._answer()

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length))

    def _answer(self, body=b""):
        if self.path.startswith("/slow-queries") and b"GRAPH" in body:
            data = b'{"head": {"vars": ["g"]}, "results": {"bindings": []}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.path.startswith(("/silent", "/slow-queries")):
            self.stop.wait(30)
            return
        if self.path.startswith("/drip"):
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(300):
                if self.stop.wait(0.1):
                    return
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
            return
        body = b"Internal trouble: the store is locked\nsecond line\n"
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def misbehaving():
    _Misbehaving.stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Misbehaving.stop.set()
        server.shutdown()
        server.server_close()


def test_timeout_is_one_line_and_exit_status_3(misbehaving, runner):
    result = invoke(runner, "--endpoint", f"{misbehaving}/silent", "roles",
                    env={"DATATEAM_ENDPOINT_TIMEOUT": "1", "DATATEAM_ENDPOINT_UNION": "dataset"})
    line = one_line_error(result)
    assert result.exit_code == 3
    assert line == (f"error: the SPARQL endpoint at {misbehaving}/silent did not answer within 1 s while listing its "
                    "named graphs (raise the limit with --timeout)")


def test_timeout_bounds_the_whole_exchange(misbehaving):
    # The server sends a byte every 0.1 s: no single read waits long, the whole answer would take 30 s.
    remote = RemoteKnowledgeGraph(f"{misbehaving}/drip", timeout=1, union="native")
    with pytest.raises(QueryTimeoutError) as info:
        remote.select("SELECT * WHERE { ?s ?p ?o }")
    assert info.value.timeout == 1


def test_query_timeout_option_reaches_the_remote(misbehaving, runner):
    result = invoke(runner, "query", "-e", "SELECT * WHERE { ?s ?p ?o }", "--timeout", "1",
                    "--endpoint", f"{misbehaving}/slow-queries", env={"DATATEAM_ENDPOINT_UNION": "native"})
    assert result.exit_code == 3
    assert "did not answer within 1 s" in one_line_error(result)


def test_server_error_is_reported_with_status_and_first_line(misbehaving, runner):
    line = one_line_error(invoke(runner, "--endpoint", f"{misbehaving}/broken", "roles",
                                 env={"DATATEAM_ENDPOINT_UNION": "native"}))
    assert line == (f"error: the SPARQL endpoint at {misbehaving}/broken answered HTTP 500 Internal Server Error: "
                    "Internal trouble: the store is locked")
    with pytest.raises(RemoteEndpointError) as info:
        RemoteKnowledgeGraph(f"{misbehaving}/broken", union="native").select("SELECT * WHERE { ?s ?p ?o }")
    assert info.value.status == 500


def test_data_files_cannot_be_merged_into_a_remote(oxigraph, runner, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text("<https://example.org/a> a <https://w3id.org/datateam-kg/ontology#Role> .\n", encoding="utf-8")
    line = one_line_error(invoke(runner, "--endpoint", oxigraph, "--data", str(extra), "roles"))
    assert "datateam push" in line


def test_bad_settings_are_reported(monkeypatch):
    monkeypatch.setenv("DATATEAM_ENDPOINT_UNION", "sometimes")
    with pytest.raises(DatateamError, match="union mode 'sometimes'"):
        RemoteKnowledgeGraph("http://127.0.0.1:1/query")
    monkeypatch.delenv("DATATEAM_ENDPOINT_UNION")
    monkeypatch.setenv("DATATEAM_ENDPOINT_TIMEOUT", "soon")
    with pytest.raises(DatateamError, match="DATATEAM_ENDPOINT_TIMEOUT"):
        RemoteKnowledgeGraph("http://127.0.0.1:1/query")
