"""`datateam serve`: the SPARQL 1.1 Protocol endpoint over a real socket, with real clients.

Each server here listens on 127.0.0.1 on a free port inside the test process (or, for the console
command, in a subprocess) and is stopped by the test.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import re
import signal
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
import rdflib
import yaml
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from rdflib.query import Result

from datateam.cli import main
from datateam.ontology.namespaces import BASE
from datateam.queries.server import negotiation as neg
from datateam.queries.sparql.binding import bind_as_values
from datateam.queries.engine.execute import run_query
from datateam.queries.named.library import bind_parameters, list_named_queries, load_named_query
from datateam.queries.server.endpoint import DEFAULT_WARM_WORKERS
from datateam.queries.server.http_server import make_server

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "ontology" / "sources"
ROLE = BASE + "role/"
TOOL = BASE + "tool/"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")

ROLES_QUERY = "SELECT DISTINCT ?role WHERE { ?role a dt:Role } ORDER BY ?role"
ROLE_TOOLS_QUERY = "SELECT DISTINCT ?role ?tool WHERE { ?role dt:usesTool ?tool } ORDER BY ?role ?tool"
CONSTRUCT_QUERY = "CONSTRUCT { ?role dt:usesTool ?tool } WHERE { ?role dt:usesTool ?tool }"
# Four unconstrained patterns over ~5,000 triples: 10^14 solutions, never finishes on its own.
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


# ---------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def running_server(kg, **config):
    """A datateam endpoint on 127.0.0.1:<free port>, served from a thread and stopped afterwards."""
    config.setdefault("log", False)
    server = make_server(kg, "127.0.0.1", 0, **config)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.stop(grace=30)
        thread.join(10)


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def media_type(self):
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    @property
    def text(self):
        return self.body.decode("utf-8")


def http(method, url, *, body=None, headers=None) -> Answer:
    """One HTTP request with urllib; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return Answer(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


def get_query(base, text, accept=None, **extra):
    params = urllib.parse.urlencode({"query": text, **extra})
    return http("GET", f"{base}sparql?{params}", headers={"Accept": accept} if accept else {})


def post_form(base, text, accept=None, **extra):
    body = urllib.parse.urlencode({"query": text, **extra}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if accept:
        headers["Accept"] = accept
    return http("POST", f"{base}sparql", body=body, headers=headers)


def post_direct(base, text, accept=None):
    headers = {"Content-Type": "application/sparql-query; charset=utf-8"}
    if accept:
        headers["Accept"] = accept
    return http("POST", f"{base}sparql", body=text.encode(), headers=headers)


def json_term(term) -> tuple:
    """A hashable form of a W3C JSON results term."""
    return (term["type"], term["value"], term.get("xml:lang"), term.get("datatype"))


def rdflib_term(term) -> tuple:
    """The same hashable form for an rdflib term (plain literals carry no datatype, as in JSON)."""
    if isinstance(term, URIRef):
        return ("uri", str(term), None, None)
    if isinstance(term, rdflib.BNode):
        return ("bnode", str(term), None, None)
    datatype = str(term.datatype) if term.datatype and term.datatype != XSD.string else None
    return ("literal", str(term), term.language, datatype)


def json_rows(doc) -> list[tuple]:
    names = doc["head"]["vars"]
    return [tuple(json_term(b[n]) if n in b else None for n in names) for b in doc["results"]["bindings"]]


def result_rows(result) -> list[tuple]:
    """Rows of a QueryResult or an rdflib Result, as tuples of hashable terms."""
    names = [str(v) for v in (result.variables if hasattr(result, "variables") and not isinstance(result, Result)
                               else result.vars)]
    out = []
    for row in (result.rows if hasattr(result, "rows") else result.bindings):
        values = {str(k): v for k, v in row.items()}
        out.append(tuple(rdflib_term(values[n]) if values.get(n) is not None else None for n in names))
    return out


def yaml_role_ids() -> set[str]:
    return set(yaml.safe_load((SOURCES / "entities.yaml").read_text(encoding="utf-8"))["roles"])


def yaml_role_tool_links() -> set[tuple[str, str]]:
    """(role id, tool id) for every tool a source file lists under a role."""
    links = set()
    for path in sorted(glob.glob(str(SOURCES / "0*.yaml"))):
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        groups = {key: group["roles"] for key, group in (doc.get("groups") or {}).items()}
        for key, categories in (doc.get("tools") or {}).items():
            for items in categories.values():
                for item in items:
                    for tool in ([item] if isinstance(item, str) else item):
                        links.update((role, tool) for role in groups.get(key, [key]))
    return links


def named_query_text(kg, name):
    """A named query's text with its default parameters bound as a VALUES block."""
    query = load_named_query(name)
    return bind_as_values(query.text, bind_parameters(kg, query, {}))


@pytest.fixture(scope="module")
def server(kg):
    with running_server(kg, timeout=20) as srv:
        yield srv


@pytest.fixture(scope="module")
def base(server):
    return server.url


# ---------------------------------------------------------------------------------------------
# The protocol


def test_binds_loopback_by_default(kg):
    server = make_server(kg, port=0, log=False)
    try:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.server_close()


def test_port_in_use_is_a_one_line_error(kg):
    import socket

    from datateam.graph.errors import DatateamError

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(DatateamError, match=f"port {port} on 127.0.0.1 is already in use"):
            make_server(kg, port=port, log=False)


def test_get_and_both_post_forms_give_the_same_rows_as_the_sources(base):
    expected = [(("uri", ROLE + r, None, None),) for r in sorted(yaml_role_ids())]
    answers = [get_query(base, ROLES_QUERY), post_form(base, ROLES_QUERY), post_direct(base, ROLES_QUERY)]
    for answer in answers:
        assert answer.status == 200, answer.text
        assert answer.media_type == "application/sparql-results+json"
        assert json_rows(json.loads(answer.body)) == expected


def test_role_tool_links_match_the_source_files(base):
    answer = post_form(base, ROLE_TOOLS_QUERY)
    rows = json.loads(answer.body)["results"]["bindings"]
    got = {(b["role"]["value"][len(ROLE):], b["tool"]["value"][len(TOOL):]) for b in rows}
    assert got == yaml_role_tool_links()
    assert len(rows) == len(got)  # DISTINCT: no duplicates
    assert ("data-engineer", "apache-airflow") in got and ("data-analyst", "tableau") in got


def test_ask_in_json_and_xml(base):
    yes = post_form(base, "ASK { role:data-engineer dt:usesTool tool:apache-airflow }")
    assert json.loads(yes.body) == {"head": {}, "boolean": True}
    no = post_form(base, "ASK { role:data-engineer dt:usesTool tool:tableau }",
                   accept="application/sparql-results+xml")
    assert no.media_type == "application/sparql-results+xml"
    assert Result.parse(io.BytesIO(no.body), format="xml").askAnswer is False


# ---------------------------------------------------------------------------------------------
# Content negotiation


@pytest.mark.parametrize("accept, media_type", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/json"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.8", "application/sparql-results+xml"),
    ("*/*;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("text/html, application/xhtml+xml, */*;q=0.8", "application/sparql-results+json"),
    ("text/turtle, text/csv;q=0.5", "text/csv"),
])
def test_select_negotiation(base, kg, accept, media_type):
    answer = post_form(base, ROLE_TOOLS_QUERY, accept=accept)
    assert answer.status == 200, answer.text
    assert answer.media_type == media_type
    expected = {(str(r["role"]), str(r["tool"])) for r in kg.select(ROLE_TOOLS_QUERY)}
    # The body parses in the format its Content-Type names, and holds the same rows.
    if media_type.endswith("json"):
        rows = json.loads(answer.body)["results"]["bindings"]
        got = {(b["role"]["value"], b["tool"]["value"]) for b in rows}
    elif media_type.endswith("xml"):
        bindings = Result.parse(io.BytesIO(answer.body), format="xml").bindings
        got = {(str(b[rdflib.Variable("role")]), str(b[rdflib.Variable("tool")])) for b in bindings}
    elif media_type == "text/csv":
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        reader = list(csv.reader(io.StringIO(answer.text)))
        assert reader[0] == ["role", "tool"]
        got = {tuple(r) for r in reader[1:]}
    else:
        lines = answer.text.splitlines()
        assert lines[0] == "?role\t?tool"
        got = {tuple(cell[1:-1] for cell in line.split("\t")) for line in lines[1:]}
    assert got == expected
    assert answer.headers["Vary"] == "Accept"


@pytest.mark.parametrize("accept, media_type, parser", [
    (None, "text/turtle", "turtle"),
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples;q=0.5, application/ld+json;q=0.9", "application/ld+json", "json-ld"),
    ("application/sparql-results+json, */*;q=0.5", "text/turtle", "turtle"),
])
def test_construct_negotiation(base, kg, accept, media_type, parser):
    answer = post_direct(base, CONSTRUCT_QUERY, accept=accept)
    assert answer.status == 200, answer.text
    assert answer.media_type == media_type
    graph = rdflib.Graph().parse(data=answer.body, format=parser)
    expected = kg.construct(CONSTRUCT_QUERY)
    assert len(graph) == len(yaml_role_tool_links()) == len(expected)
    assert isomorphic(graph, expected)


def test_406_when_nothing_fits(base, kg):
    before = http("GET", f"{base}sparql?" + urllib.parse.urlencode({"query": ROLES_QUERY}),
                  headers={"Accept": "image/png, text/html;q=0.9"})
    assert before.status == 406
    assert before.media_type == "text/plain"
    assert "application/sparql-results+json" in before.text
    # A CONSTRUCT result cannot be CSV: 406 names what it can be.
    after = post_form(base, CONSTRUCT_QUERY, accept="text/csv")
    assert after.status == 406
    assert "text/turtle" in after.text and "text/csv" not in after.text.split("available as")[1]


def test_format_parameter_overrides_accept_when_it_fits(base):
    csv_answer = get_query(base, ROLES_QUERY, accept="application/sparql-results+json", format="csv")
    assert csv_answer.media_type == "text/csv"
    assert len(csv_answer.text.splitlines()) == len(yaml_role_ids()) + 1
    nt = get_query(base, CONSTRUCT_QUERY, format="nt")
    assert nt.media_type == "application/n-triples"
    assert len(nt.text.splitlines()) == len(yaml_role_tool_links())
    # A format that does not fit the result kind is ignored: Accept decides.
    ignored = get_query(base, CONSTRUCT_QUERY, accept="application/ld+json", format="csv")
    assert ignored.media_type == "application/ld+json"


def test_negotiation_rules():
    assert neg.choose(None, neg.SELECT_OFFERS).fmt == "json"
    assert neg.choose("text/plain", neg.SELECT_OFFERS).fmt == "table"
    assert neg.choose("text/plain", neg.GRAPH_OFFERS).fmt == "nt"
    assert neg.choose("text/csv;q=0", neg.SELECT_OFFERS) is None  # nothing else was listed
    assert neg.choose("text/csv;q=0, text/*;q=0.5", neg.SELECT_OFFERS).fmt == "tsv"
    assert neg.choose("application/*", neg.GRAPH_OFFERS).fmt == "nt"
    assert neg.choose("garbage, image/png", neg.SELECT_OFFERS) is None
    assert neg.content_type("text/csv") == "text/csv; charset=utf-8"
    assert neg.content_type("application/sparql-results+json") == "application/sparql-results+json"


# ---------------------------------------------------------------------------------------------
# Errors, safety, read-only


def test_syntax_error_is_400_with_line_and_column(base):
    answer = post_form(base, "SELECT ?r WHERE {\n  ?r a dt:Role\n  FILTER(\n}")
    assert answer.status == 400
    assert answer.media_type == "text/plain"
    assert re.match(r"syntax error: line [34], column \d+: ", answer.text), answer.text
    assert len(answer.text.strip().splitlines()) == 1


def test_unknown_prefix_is_named(base):
    answer = post_form(base, "SELECT ?r WHERE { ?r a nope:Role }")
    assert answer.status == 400
    assert "'nope:'" in answer.text


class _Recorder(BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.end_headers()
        self.wfile.write(b"<http://x/s> <http://x/p> <http://x/o> .\n")

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_unsafe_queries_are_refused_and_reach_nothing(base, kg):
    listener = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{listener.server_address[1]}/"
    _Recorder.hits = []
    try:
        before = kg.triple_count()
        cases = [
            (f"SELECT * WHERE {{ SERVICE <{target}sparql> {{ ?s ?p ?o }} }}", 400, "SERVICE"),
            (f"SELECT * FROM <{target}data.ttl> WHERE {{ ?s ?p ?o }}", 400, "FROM"),
            (f"SELECT * FROM NAMED <{target}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", 400, "FROM NAMED"),
            (f"LOAD <{target}data.ttl>", 400, "LOAD"),
            ("DROP ALL", 400, "Update"),
            ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", 400, "Update"),
        ]
        for text, status, word in cases:
            answer = post_form(base, text)
            assert answer.status == status, (text, answer.text)
            assert answer.text.startswith("query refused:") and word in answer.text
        update = http("POST", f"{base}sparql", body=urllib.parse.urlencode({"update": "DROP ALL"}).encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert update.status == 403 and "read-only" in update.text
        direct = http("POST", f"{base}sparql", body=b"CLEAR ALL",
                      headers={"Content-Type": "application/sparql-update"})
        assert direct.status == 403
        assert _Recorder.hits == []
        assert kg.triple_count() == before
        assert kg.ask("ASK { role:data-engineer a dt:Role }")
    finally:
        listener.shutdown()
        listener.server_close()


def test_protocol_errors(base):
    assert http("PUT", f"{base}sparql", body=b"x").status == 405
    assert http("DELETE", f"{base}").status == 405
    wrong = http("POST", f"{base}sparql", body=b"{}", headers={"Content-Type": "application/json"})
    assert wrong.status == 415 and "application/sparql-query" in wrong.text
    two = http("GET", f"{base}sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert two.status == 400 and "exactly one" in two.text
    missing = http("POST", f"{base}sparql", body=b"foo=bar", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert missing.status == 400
    big = http("POST", f"{base}sparql", body=b"#" * ((1 << 20) + 1) + b"\nASK {}",
               headers={"Content-Type": "application/sparql-query"})
    assert big.status == 413
    assert http("GET", f"{base}nothing-here").status == 404


def test_protocol_dataset_names_the_stores_graphs(base, kg):
    graphs = [str(g) for g in kg.graph_names()]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(answer):
        assert answer.status == 200, answer.text
        return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])

    params = [("query", count)]
    everything = params + [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    # the merge of every graph is the default graph the endpoint has anyway: distinct triples
    assert n(http("GET", f"{base}sparql?" + urllib.parse.urlencode(everything))) == kg.triple_count()
    one = graphs[0]
    assert n(http("GET", f"{base}sparql?" + urllib.parse.urlencode(params + [("default-graph-uri", one)]))) \
        == kg.triple_count(URIRef(one))
    # the protocol's dataset wins over the query's FROM
    from_other = [("query", f"SELECT (COUNT(*) AS ?n) FROM <{graphs[1]}> WHERE {{ ?s ?p ?o }}"),
                  ("default-graph-uri", one)]
    assert n(http("GET", f"{base}sparql?" + urllib.parse.urlencode(from_other))) == kg.triple_count(URIRef(one))
    # named-graph-uri alone: an empty default graph, and GRAPH ?g sees just those graphs
    named = [("query", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"), ("named-graph-uri", one)]
    assert n(http("GET", f"{base}sparql?" + urllib.parse.urlencode(named))) == 1
    empty = [("query", count), ("named-graph-uri", one)]
    assert n(http("GET", f"{base}sparql?" + urllib.parse.urlencode(empty))) == 0
    elsewhere = http("GET", f"{base}sparql?" + urllib.parse.urlencode(params + [("default-graph-uri",
                                                                                 "http://example.org/g")]))
    assert elsewhere.status == 400
    assert elsewhere.text == ("default-graph-uri 'http://example.org/g' names no graph of this endpoint, which does not "
                              "fetch data from elsewhere; its graphs are listed by GET /sparql (the service "
                              "description) and /api/info\n")


def test_warm_workers_outlive_the_connections_that_used_them(kg):
    from datateam.queries.engine.pool import warm_workers

    expected = [(("uri", BASE + "tool/" + t, None, None),)
                for t in sorted(t for r, t in yaml_role_tool_links() if r == "data-engineer")]
    query = "SELECT DISTINCT ?tool WHERE { role:data-engineer dt:usesTool ?tool } ORDER BY ?tool"
    with running_server(kg) as srv:
        assert warm_workers(kg) is not None
        # each request comes on a new connection, answered by a new short-lived thread
        answers = [get_query(srv.url, query) for _ in range(12)]
        assert [a.status for a in answers] == [200] * 12
        assert all(json_rows(json.loads(a.body)) == expected for a in answers)
        assert 1 <= len(warm_workers(kg).pids) <= DEFAULT_WARM_WORKERS
    assert warm_workers(kg) is None  # stopped with the server


def test_runaway_query_times_out_with_503(kg):
    with running_server(kg, timeout=1.5) as srv:
        answer = post_form(srv.url, RUNAWAY_QUERY)
        assert answer.status == 503
        assert answer.text.startswith("query timed out:") and "1.5 seconds" in answer.text
        # and the server still answers
        assert post_form(srv.url, "ASK { role:data-engineer a dt:Role }").status == 200


def test_result_size_cap(kg):
    with running_server(kg, max_rows=5) as srv:
        answer = post_form(srv.url, ROLE_TOOLS_QUERY)
        assert len(json.loads(answer.body)["results"]["bindings"]) == 5
        assert answer.headers["X-Datateam-Truncated"] == "5"
        graph = rdflib.Graph().parse(data=post_form(srv.url, CONSTRUCT_QUERY).body, format="turtle")
        assert len(graph) == 5
        small = post_form(srv.url, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
        assert len(json.loads(small.body)["results"]["bindings"]) == 3
        assert "X-Datateam-Truncated" not in small.headers


def test_cors_only_when_asked(base, kg):
    # Without --cors a page of another origin may not run queries at all (tests/security/test_http_origin.py).
    plain = http("GET", f"{base}sparql?query=ASK%7B%7D", headers={"Origin": "http://example.org"})
    assert plain.status == 403
    assert "Access-Control-Allow-Origin" not in plain.headers
    with running_server(kg, cors=True) as srv:
        answer = http("GET", f"{srv.url}sparql?query=ASK%7B%7D", headers={"Origin": "http://example.org"})
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        preflight = http("OPTIONS", f"{srv.url}sparql", headers={
            "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status == 204
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


# ---------------------------------------------------------------------------------------------
# The service description


def test_service_description(base, kg):
    answer = http("GET", f"{base}sparql")
    assert answer.status == 200
    assert answer.media_type == "text/turtle"
    sd = rdflib.Graph().parse(data=answer.body, format="turtle")
    service = sd.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert sd.value(service, SD.endpoint) == URIRef(f"{base}sparql")
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.supportedLanguage, rdflib.URIRef(str(SD) + "SPARQL11Update")) not in sd
    dataset = sd.value(service, SD.defaultDataset)
    described = {}
    for named in sd.objects(dataset, SD.namedGraph):
        described[str(sd.value(named, SD.name))] = int(sd.value(sd.value(named, SD.graph), VOID.triples))
    assert set(described) == {str(g) for g in kg.graph_names()}
    # Each count, checked against a COUNT query sent through the endpoint itself.
    for graph, count in described.items():
        rows = json.loads(post_form(base, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").body)
        assert int(rows["results"]["bindings"][0]["n"]["value"]) == count
    ntriples = http("GET", f"{base}sparql", headers={"Accept": "application/n-triples"})
    assert ntriples.media_type == "application/n-triples"
    assert isomorphic(rdflib.Graph().parse(data=ntriples.body, format="nt"), sd)


# ---------------------------------------------------------------------------------------------
# Real clients: SPARQLWrapper and rdflib's SPARQLStore get what the CLI gets


CLIENT_QUERIES = ["tools-of-role", "roles-using-tool", "core-skills", "shared-tools", "workflow-chain",
                  "handoffs-from-role", "source-overview"]


def cli_rows(runner, name, kg=None):
    """The CLI's rows for a named query's text sent as a plain query (`query -e TEXT`), as a client sends it
    to /sparql: a named query run by name (`query NAME`, /api/queries/NAME) also sorts its GROUP_CONCAT lists."""
    from datateam.graph.store.factory import load_knowledge_graph

    text = named_query_text(kg or load_knowledge_graph(), name)
    result = runner.invoke(main, ["query", "-e", text, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json_rows(json.loads(result.stdout))


@pytest.mark.parametrize("name", CLIENT_QUERIES)
def test_sparqlwrapper_matches_cli(base, kg, runner, name):
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    expected = cli_rows(runner, name, kg)
    assert expected, f"{name} returns rows on the shipped knowledge base"
    client = SPARQLWrapper(f"{base}sparql")
    client.setQuery(named_query_text(kg, name))
    client.setReturnFormat(JSON)
    assert json_rows(client.queryAndConvert()) == expected
    client.setMethod(POST)
    assert json_rows(client.queryAndConvert()) == expected


@pytest.mark.parametrize("name", CLIENT_QUERIES[:4])
def test_rdflib_sparqlstore_matches_cli(base, kg, runner, name):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    expected = cli_rows(runner, name, kg)
    graph = rdflib.Graph(store=SPARQLStore(f"{base}sparql"))  # GET, SPARQL XML results
    assert result_rows(graph.query(named_query_text(kg, name))) == expected
    query = load_named_query(name)
    bound = graph.query(query.text, initBindings=bind_parameters(kg, query, {}))  # rdflib's own VALUES
    assert sorted(result_rows(bound), key=repr) == sorted(expected, key=repr)


def test_sparqlwrapper_construct_in_turtle_and_jsonld(base, kg):
    from SPARQLWrapper import JSONLD, TURTLE, SPARQLWrapper

    expected = kg.construct(CONSTRUCT_QUERY)
    for fmt, parser in ((TURTLE, "turtle"), (JSONLD, "json-ld")):
        client = SPARQLWrapper(f"{base}sparql")
        client.setQuery(CONSTRUCT_QUERY)
        client.setReturnFormat(fmt)
        raw = client.query().response.read()
        assert isomorphic(rdflib.Graph().parse(data=raw, format=parser), expected)


# ---------------------------------------------------------------------------------------------
# Named queries over HTTP


def test_named_query_list_and_run(base, kg):
    listed = json.loads(http("GET", f"{base}api/queries").body)
    assert [q["name"] for q in listed] == [q.name for q in list_named_queries()]
    assert all(q["text"] and q["title"] for q in listed)
    answer = http("GET", f"{base}api/queries/tools-of-role?" + urllib.parse.urlencode({"role": "ML engineer"}))
    assert answer.status == 200
    tools = {b["tool"]["value"][len(TOOL):] for b in json.loads(answer.body)["results"]["bindings"]}
    assert tools == {t for r, t in yaml_role_tool_links() if r == "ml-engineer"}
    unknown = http("GET", f"{base}api/queries/tools-of-role?role=astronaut")
    assert unknown.status == 400 and "astronaut" in unknown.text
    assert http("GET", f"{base}api/queries/no-such-query").status == 404


# ---------------------------------------------------------------------------------------------
# What the query page asks beside queries: the vocabulary, `show` for an IRI, the editor bundle

DT = "https://w3id.org/datateam-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def test_vocabulary_is_the_stores_classes_and_properties(base, kg):
    answer = http("GET", f"{base}api/vocabulary")
    assert answer.status == 200 and answer.media_type == "application/json"
    terms = json.loads(answer.body)["terms"]
    assert terms == sorted(terms, key=lambda t: (t["kind"], t["iri"]))
    by_kind = {kind: {t["iri"] for t in terms if t["kind"] == kind} for kind in ("class", "property")}
    assert len(terms) == len(by_kind["class"]) + len(by_kind["property"])
    declared = {str(r["c"]) for r in kg.select("SELECT DISTINCT ?c WHERE { ?c a owl:Class FILTER(isIRI(?c)) }")}
    used = {str(r["c"]) for r in kg.select("SELECT DISTINCT ?c WHERE { [] a ?c }")}
    assert by_kind["class"] == declared | used
    predicates = {str(r["p"]) for r in kg.select("SELECT DISTINCT ?p WHERE { [] ?p [] }")}
    assert predicates <= by_kind["property"]
    assert {DT + "Role", DT + "Tool", "http://www.w3.org/2002/07/owl#Class"} <= by_kind["class"]
    assert {DT + "usesTool", DT + "requiresSkill", SKOS + "prefLabel"} <= by_kind["property"]
    assert {"iri": DT + "Role", "kind": "class", "label": "Role"} in terms


def test_show_for_an_iri_is_datateam_show(base, kg):
    from datateam.graph.analysis.describe import describe, render_details
    from datateam.graph.lookup.names import resolve

    details = describe(kg, resolve(kg, "role:data-engineer"))
    iri = urllib.parse.quote(ROLE + "data-engineer", safe="")
    answer = http("GET", f"{base}api/show?iri={iri}")
    assert answer.status == 200 and answer.media_type == "application/json"
    assert answer.text == render_details(details, "json")
    text = http("GET", f"{base}api/show?iri={iri}&format=text")
    assert text.status == 200 and text.media_type == "text/plain"
    assert text.text == render_details(details, "table")

    missing = http("GET", f"{base}api/show?iri=" + urllib.parse.quote(ROLE + "astronaut", safe=""))
    assert (missing.status, missing.text) == (404, f"no entity with IRI <{ROLE}astronaut>\n")
    assert http("GET", f"{base}api/show").text == ("give exactly one iri= parameter (the IRI of a role, skill, "
                                                 "tool, ...)\n")
    bad = http("GET", f"{base}api/show?iri=data+engineer")
    assert (bad.status, bad.text) == (400, "iri='data engineer' is not an absolute IRI\n")
    assert http("GET", f"{base}api/show?iri={iri}&format=xml").status == 400
    # like a query, a page of another origin may not ask for it
    foreign = http("GET", f"{base}api/show?iri={iri}", headers={"Sec-Fetch-Site": "cross-site"})
    assert foreign.status == 403


def test_editor_bundle_is_served_and_matches_the_lock_file(base):
    page_dir = ROOT / "queries" / "server" / "page"
    bundle = (page_dir / "editor.js").read_text(encoding="utf-8")
    header = bundle[:bundle.index("*/")]
    listed = dict(re.findall(r"^ \*   (\S+) (\S+) MIT$", header, re.M))
    lock = json.loads((ROOT / "page-editor" / "package-lock.json").read_text(encoding="utf-8"))
    locked = {path[len("node_modules/"):]: entry["version"] for path, entry in lock["packages"].items()
              if path.startswith("node_modules/") and not entry.get("dev")}
    assert listed and all(locked.get(name) == version for name, version in listed.items())
    wanted = json.loads((ROOT / "page-editor" / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert set(wanted) <= set(listed)
    assert header.count("Permission is hereby granted, free of charge") >= 1
    assert "Licence of " + ", ".join(n for n in sorted(listed) if n.startswith("@codemirror/")) in header
    served = http("GET", f"{base}assets/editor.js")
    assert served.status == 200 and served.media_type == "text/javascript"
    assert served.body == (page_dir / "editor.js").read_bytes()
    csp = served.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp


# ---------------------------------------------------------------------------------------------
# Concurrency


@pytest.mark.slow
def test_twenty_concurrent_clients_while_a_runaway_query_runs(kg):
    jobs = {
        "roles": ROLES_QUERY,
        "links": ROLE_TOOLS_QUERY,
        "de-tools": "SELECT ?tool WHERE { role:data-engineer dt:usesTool ?tool } ORDER BY ?tool",
        "count": "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?r dt:usesTool ?t }",
    }
    expected = {key: result_rows(run_query(kg, text)) for key, text in jobs.items()}
    assert expected["count"][0][0][1] == str(len({t for _, t in yaml_role_tool_links()}))
    with running_server(kg, timeout=12) as srv:
        runaway: dict = {}

        def run_runaway():
            runaway["answer"] = post_form(srv.url, RUNAWAY_QUERY)

        runaway_thread = threading.Thread(target=run_runaway)
        runaway_thread.start()
        errors, results = [], []

        def client(index):
            try:
                for round_ in range(3):
                    key = list(jobs)[(index + round_) % len(jobs)]
                    answer = (post_form if index % 2 else get_query)(srv.url, jobs[key])
                    if answer.status != 200:
                        errors.append((index, answer.status, answer.text))
                        continue
                    results.append((key, json_rows(json.loads(answer.body))))
            except Exception as exc:  # collected and asserted below, never ignored
                errors.append((index, repr(exc)))

        clients = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(60)
        # every client finished while the runaway query was still being evaluated
        assert runaway_thread.is_alive()
        assert errors == []
        assert len(results) == 60
        for key, rows in results:
            assert rows == [tuple(v for v in row) for row in expected[key]], key
        runaway_thread.join(60)
        assert runaway["answer"].status == 503


# ---------------------------------------------------------------------------------------------
# The installed console command


def _start_console_server(*args):
    """`datateam serve --port 0 --quiet ARGS` in a subprocess: (process, base URL)."""
    exe = Path(sys.executable).parent / "datateam"
    proc = subprocess.Popen([str(exe), "serve", "--port", "0", "--quiet", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)sparql", first)
    assert match, first
    return proc, match.group(1)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_console_command_serves_and_stops_gracefully(signum):
    proc, url = _start_console_server("--timeout", "3")
    try:
        from SPARQLWrapper import JSON, SPARQLWrapper

        client = SPARQLWrapper(f"{url}sparql")
        client.setQuery(ROLES_QUERY)
        client.setReturnFormat(JSON)
        roles = {b["role"]["value"][len(ROLE):] for b in client.queryAndConvert()["results"]["bindings"]}
        assert roles == yaml_role_ids()
        # The signal while a query runs: the query is still answered (it hits its time limit),
        # then the server exits cleanly.
        pending: dict = {}
        runner = threading.Thread(target=lambda: pending.setdefault("answer", post_form(url, RUNAWAY_QUERY)))
        runner.start()
        time.sleep(0.5)
        proc.send_signal(signum)
        runner.join(30)
        assert pending["answer"].status == 503 and pending["answer"].text.startswith("query timed out")
        assert proc.wait(30) == 0
        rest = proc.stderr.read()
        assert "stopped" in rest and "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_second_ctrl_c_stops_at_once():
    proc, url = _start_console_server("--timeout", "60")
    try:
        cut_off: list = []

        def run_runaway():
            try:
                post_form(url, RUNAWAY_QUERY)
            except OSError as exc:  # the server is gone: expected, and checked below
                cut_off.append(exc)

        runner = threading.Thread(target=run_runaway, daemon=True)
        runner.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 130
        rest = proc.stderr.read()  # EOF once every process holding stderr (its query workers too) is gone
        assert time.monotonic() - started < 10  # not after the query's 60 s
        assert "stopped at once" in rest and "Traceback" not in rest
        runner.join(10)
        assert len(cut_off) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
