"""Queries cannot reach the network, read files, change data by accident or hang the tool.

A loopback HTTP server records every request it receives; the unsafe queries aim at it, and the
tests prove it receives nothing and that the refusal comes before any evaluation. A control test
shows that Oxigraph itself does contact the server when asked directly, so the check can fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from datateam.queries.engine import execute, worker
from datateam.queries.sparql.errors import QuerySyntaxError, QueryTimeoutError, UnsafeQueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.sparql.lexer import tokenize
from datateam.queries.sparql.safety import inspect_query

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


class Recorder(BaseHTTPRequestHandler):
    requests: list = []

    def _record(self):
        type(self).requests.append((self.command, self.path))
        body = b'{"head":{"vars":["s","p","o"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _record

    def log_message(self, *args):
        pass


@pytest.fixture()
def listener():
    """A loopback HTTP server on a free port; yields (base URL, list of requests received)."""
    handler = type("Handler", (Recorder,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture()
def no_evaluation(monkeypatch):
    """Fail the test if anything reaches the evaluation stage."""
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the query reached evaluation")

    monkeypatch.setattr(execute, "evaluate_local", forbidden)
    monkeypatch.setattr(execute, "run_update", forbidden)
    return calls


def test_control_oxigraph_itself_does_call_the_listener(listener):
    """Without our checks the engine contacts the service: the listener can see it."""
    url, requests = listener
    solutions = list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}"))
    assert solutions == []
    assert requests and requests[0][1] == "/sparql"


def unsafe_queries(url: str) -> dict[str, str]:
    return {
        "service": f"SELECT * WHERE {{ SERVICE <{url}a> {{ ?s ?p ?o }} }}",
        "service lower case": f"select * where {{ service <{url}b> {{ ?s ?p ?o }} }}",
        "service silent": f"SELECT * WHERE {{ SERVICE SILENT <{url}c> {{ ?s ?p ?o }} }}",
        "service glued to a prefixed name": f"PREFIX : <{url}> SELECT * WHERE {{ SERVICE:d {{ ?s ?p ?o }} }}",
        "service with no space": f"SELECT * WHERE {{ SERVICE<{url}e>{{ ?s ?p ?o }} }}",
        "service after a comment": f"SELECT * WHERE {{ SERVICE # call\n <{url}f> {{ ?s ?p ?o }} }}",
        "service inside exists": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}g> {{ ?s ?p ?o }} }} }}",
        "service in a sub-select": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}h> {{ ?s ?p ?o }} }} }} }}",
        "service relative to base": f"BASE <{url}> SELECT * WHERE {{ SERVICE <i> {{ ?s ?p ?o }} }}",
        "service spelled with escapes": f"SELECT * WHERE {{ \\u0053ERVICE <{url}j> {{ ?s ?p ?o }} }}",
        "from": f"SELECT * FROM <{url}k.ttl> WHERE {{ ?s ?p ?o }}",
        "from named": f"SELECT * FROM NAMED <{url}l.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "from glued to a prefixed name": f"PREFIX : <{url}> SELECT * FROM:m WHERE {{ ?s ?p ?o }}",
        "describe from": f"DESCRIBE ?s FROM <{url}n> WHERE {{ ?s ?p ?o }}",
        "load": f"LOAD <{url}o.ttl>",
        "load into graph": f"LOAD SILENT <{url}p.ttl> INTO GRAPH <{url}g>",
        "load glued": f"PREFIX : <{url}> LOAD:q",
        "update with service": f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}r> {{ ?s ?p ?o }} }}",
        "update using": f"INSERT {{ ?s ?p ?o }} USING <{url}s> WHERE {{ ?s ?p ?o }}",
    }


@pytest.mark.parametrize("case", sorted(unsafe_queries("http://x/")))
def test_unsafe_query_is_refused_before_evaluation_and_reaches_nothing(kg, listener, no_evaluation, case):
    url, requests = listener
    text = unsafe_queries(url)[case]
    with pytest.raises(UnsafeQueryError):
        run_query(kg, text, timeout=5)
    with pytest.raises(UnsafeQueryError):
        run_query(kg, text, timeout=5, allow_update=True)  # allowing updates never allows the network
    assert requests == []
    assert no_evaluation == []


def test_the_refusal_names_what_and_where(kg):
    with pytest.raises(UnsafeQueryError, match=r"SERVICE at line 2, column 3 is refused"):
        run_query(kg, "SELECT * WHERE {\n  SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(UnsafeQueryError, match=r"LOAD at line 1, column 1 is refused"):
        run_query(kg, "LOAD <file:///etc/passwd>", allow_update=True)
    with pytest.raises(UnsafeQueryError, match=r"FROM <file:///etc/passwd> at line 1, column 10 .*graph:olx-interview"):
        run_query(kg, "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }")


def test_the_cli_refuses_and_the_listener_sees_nothing(runner, listener):
    url, requests = listener
    for text in unsafe_queries(url).values():
        result = runner.invoke(main, ["query", "-e", text])
        assert result.exit_code == 1, text
        assert result.output.startswith("error: ") and "Traceback" not in result.output
    result = runner.invoke(main, ["query", "--allow-update", "-e", f"LOAD <{url}x.ttl>"])
    assert result.exit_code != 0
    assert requests == []


def test_keywords_inside_strings_iris_and_comments_are_harmless(kg):
    text = ('SELECT ?role WHERE { ?role a dt:Role ; skos:prefLabel ?l . '
            'FILTER(?l != "SERVICE <http://x/> { } LOAD FROM" && ?role != <http://x/LOAD#SERVICE>) } # SERVICE LOAD')
    result = run_query(kg, text)
    roles = {str(r["role"]) for r in result.rows}
    assert BASE + "role/data-engineer" in roles


def test_a_prefix_spelled_like_a_keyword_is_refused_with_a_reason(kg):
    with pytest.raises(UnsafeQueryError, match="the prefix 'service:' .* give the prefix another name"):
        run_query(kg, "PREFIX service: <http://x/> SELECT * WHERE { service:a ?p ?o }")


def test_from_naming_the_stores_own_graph_is_allowed_and_honoured(kg):
    graph = URIRef(BASE + "graph/olx-interview")
    result = run_query(kg, "SELECT (COUNT(*) AS ?n) FROM graph:olx-interview WHERE { ?s ?p ?o }")
    assert int(result.rows[0]["n"]) == kg.triple_count(graph)
    named = run_query(kg, "SELECT DISTINCT ?g FROM NAMED graph:jetbrains-roles WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [str(r["g"]) for r in named.rows] == [BASE + "graph/jetbrains-roles"]


# ---------------------------------------------------------------------------------------------
# Updates


UPDATES = [
    "INSERT DATA { role:someone a dt:Role }",
    "DELETE WHERE { ?s dt:usesTool ?o }",
    "DROP ALL",
    "CLEAR GRAPH graph:olx-interview",
    "WITH graph:olx-interview DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CREATE GRAPH <http://example.org/new>",
    "COPY graph:olx-interview TO graph:curation",
]


@pytest.mark.parametrize("update", UPDATES)
def test_update_is_refused_without_allow_update_and_nothing_changes(update, no_evaluation):
    kg = load_knowledge_graph()
    before = sorted(str(q) for q in kg.store)
    with pytest.raises(UnsafeQueryError, match="read-only"):
        run_query(kg, update)
    assert sorted(str(q) for q in kg.store) == before
    assert no_evaluation == []


def test_cli_refuses_updates_and_allow_update_without_a_store(runner):
    result = runner.invoke(main, ["query", "-e", "DROP ALL"])
    assert result.exit_code == 1 and "read-only" in result.output
    result = runner.invoke(main, ["query", "--allow-update", "-e", "DROP ALL"])
    assert result.exit_code == 1 and "only on your own persistent store" in result.output


def test_allowed_update_applies_in_one_transaction():
    from datateam.graph.store.merge import named_quad_count

    kg = load_knowledge_graph()
    n = named_quad_count(kg.store)
    result = run_query(kg, "INSERT DATA { GRAPH <https://w3id.org/datateam-kg/graph/user/mine> "
                           "{ role:someone a dt:Role } }", allow_update=True)
    assert result.kind == "update"
    assert (int(result.rows[0]["triples_before"]), int(result.rows[0]["triples_after"])) == (n, n + 1)
    # a failing second operation undoes the first: all of the update or nothing
    from datateam.queries.sparql.errors import QueryError

    with pytest.raises(QueryError, match="nothing was changed"):
        run_query(kg, "INSERT DATA { role:other a dt:Role } ; CREATE GRAPH <https://w3id.org/datateam-kg/graph/user/mine>",
                  allow_update=True)
    assert named_quad_count(kg.store) == n + 1
    assert run_query(kg, "ASK { role:someone a dt:Role }").boolean
    assert not run_query(kg, "ASK { role:other a dt:Role }").boolean


def _datateam(*args: str) -> subprocess.CompletedProcess:
    command = shutil.which("datateam", path=str(Path(sys.executable).parent))
    assert command, "the console command is installed next to the interpreter"
    return subprocess.run([command, *args], capture_output=True, text=True, timeout=120)


def test_update_on_a_persistent_store_through_the_console_command(tmp_path):
    store = str(tmp_path / "kg")
    insert = "INSERT DATA { GRAPH <https://w3id.org/datateam-kg/graph/user/notes> { role:someone a dt:Role } }"
    done = _datateam("--store", store, "query", "--allow-update", "-e", insert)
    assert done.returncode == 0, done.stderr
    assert "update applied" in done.stderr
    done = _datateam("--store", store, "query", "-f", "csv", "-e", "ASK { role:someone a dt:Role }")
    assert (done.returncode, done.stdout) == (0, "true")
    # refused without --allow-update, and the in-memory default never sees the change
    done = _datateam("--store", store, "query", "-e", "DROP ALL")
    assert done.returncode == 1 and "read-only" in done.stderr
    assert _datateam("query", "-f", "csv", "-e", "ASK { role:someone a dt:Role }").stdout == "false"


def test_queries_and_updates_interleaved_on_a_writable_persistent_store(tmp_path):
    from datateam.graph.store.persistent import open_persistent

    with open_persistent(tmp_path / "kg", writable=True) as kg:
        counts = []
        for i in range(3):
            run_query(kg, f"INSERT DATA {{ GRAPH <{BASE}graph/user/x> {{ role:r{i} a dt:Role }} }}", allow_update=True)
            counts.append(int(run_query(kg, "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a dt:Role }").rows[0]["n"]))
        base = counts[0] - 1
        assert counts == [base + 1, base + 2, base + 3]


# ---------------------------------------------------------------------------------------------
# Time limit


def _children() -> set[int]:
    pids = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        pids |= {int(p) for p in text}
    return pids


def test_runaway_query_is_stopped_and_its_worker_is_gone(kg):
    before = _children()
    with pytest.raises(QueryTimeoutError, match=r"stopped after 1 second \(the time limit\)") as info:
        run_query(kg, RUNAWAY, timeout=1)
    assert info.value.exit_code == 3 and info.value.timeout == 1
    assert _children() == before


def test_runaway_query_through_the_installed_command_returns_with_a_clear_message():
    done = _datateam("query", "--timeout", "1", "-e", RUNAWAY)
    assert done.returncode == 3
    assert done.stderr.strip() == ("error: the query was stopped after 1 second (the time limit); narrow it down, "
                                   "add a LIMIT, or allow more time with --timeout SECONDS")
    assert done.stdout == ""


def test_other_queries_run_while_a_runaway_query_is_stopped(kg):
    expected = {str(r["r"]) for r in kg.select("SELECT DISTINCT ?r WHERE { ?r a dt:Role }")}
    errors, answers = [], []

    def runaway():
        try:
            run_query(kg, RUNAWAY, timeout=2)
        except QueryTimeoutError as exc:
            errors.append(exc)

    def normal():
        for _ in range(5):
            result = run_query(kg, "SELECT DISTINCT ?r WHERE { ?r a dt:Role }")
            answers.append({str(r["r"]) for r in result.rows})

    threads = [threading.Thread(target=runaway)] + [threading.Thread(target=normal) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(errors) == 1
    assert len(answers) == 30 and all(a == expected for a in answers)


def test_a_worker_that_needs_too_much_memory_is_stopped(kg):
    def hungry():
        rows = []
        for solution in kg.store.query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", use_default_graph_as_union=True):
            rows.append(tuple(solution))
        return len(rows)

    with pytest.raises((worker.WorkerCrashed, worker.WorkerFailed)) as info:
        worker.run_in_worker(hungry, timeout=60, memory_limit=64 * 1024 * 1024)
    assert "memory" in str(info.value).lower()


# ---------------------------------------------------------------------------------------------
# Syntax errors


@pytest.mark.parametrize("text,line,column,token", [
    ("SELECT ?x WHERE { ?x a dt:Role } LIMT 3", 1, 34, "LIMT"),
    ("SELECT ?x\nWHERE {\n  ?x a dt:Role ;\n     skos:prefLabel ?l ?m }", 4, 24, "?m"),
    ("SELEC ?x WHERE { ?x ?p ?o }", 1, 10, "WHERE"),
])
def test_syntax_errors_give_line_column_and_token(kg, text, line, column, token):
    with pytest.raises(QuerySyntaxError) as info:
        run_query(kg, text)
    err = info.value
    assert (err.line, err.column, err.token) == (line, column, token)
    assert str(err).startswith(f"line {line}, column {column}: unexpected {token!r}")


def test_unknown_prefix_is_named(kg, runner):
    with pytest.raises(QuerySyntaxError, match=r"line 2, column 8: unknown prefix 'foaf:' in 'foaf:name'"):
        run_query(kg, "SELECT ?n WHERE {\n  ?x a foaf:name }")
    result = runner.invoke(main, ["query", "-e", "SELECT * WHERE { ?x ex:p ?y }"])
    assert result.exit_code == 1
    assert result.output.startswith("error: line 1, column 21: unknown prefix 'ex:'")


def test_a_declared_prefix_is_not_unknown(kg):
    text = "PREFIX ex: <https://w3id.org/datateam-kg/role/> SELECT ?t WHERE { ex:data-engineer dt:usesTool ?t }"
    assert len(run_query(kg, text).rows) > 0


def test_unclosed_string_is_a_syntax_error():
    with pytest.raises(QuerySyntaxError, match=r"line 2, column 24: string starting with .* is never closed"):
        tokenize('SELECT * WHERE {\n  ?s ?p ?o FILTER(?o = "abc) }')


# ---------------------------------------------------------------------------------------------
# The tokenizer and the inspection


def test_tokens_of_a_tricky_query():
    text = ("PREFIX : <http://e/#x> SELECT ?a $b WHERE { :s <http://e/p?q=1#f> 'it''s' ; ex:p\\.q \"\"\"a\n\"b\"\"\"@en-GB , "
            "1.5e3 , _:b1 . FILTER(?a<?b && ?b>=2) } # SERVICE")
    tokens = [(t.kind, t.text) for t in tokenize(text)]
    assert ("IRI", "<http://e/p?q=1#f>") in tokens
    assert ("STRING", "'it'") in tokens and ("STRING", "'s'") in tokens
    assert ("PNAME", "ex:p\\.q") in tokens
    assert ("STRING", '"""a\n"b"""') in tokens and ("LANGTAG", "@en-GB") in tokens
    assert ("NUMBER", "1.5e3") in tokens and ("BNODE", "_:b1") in tokens
    assert ("VAR", "?a") in tokens and ("VAR", "$b") in tokens and ("PUNCT", ">=") in tokens
    assert not any(text == "SERVICE" for _kind, text in tokens)
    last = tokenize(text)[-1]
    assert (last.text, last.line) == ("}", 2)


def test_inspection_reports_form_projection_and_dataset(kg):
    graphs = [str(g) for g in kg.graph_names()]
    info = inspect_query("SELECT ?a (COUNT(?b) AS ?n) FROM graph:curation WHERE { ?a ?p ?b } GROUP BY ?a", graphs)
    assert (info.form, info.projection, info.from_graphs) == ("select", ["a", "n"], [BASE + "graph/curation"])
    assert inspect_query("SELECT * WHERE { ?s ?p ?o }", graphs).projection is None
    assert inspect_query("ASK { ?s ?p ?o }", graphs).form == "ask"
    assert inspect_query("CONSTRUCT WHERE { ?s ?p ?o }", graphs).form == "construct"
    assert inspect_query("DELETE DATA { <a:b> <a:c> <a:d> }", graphs, allow_update=True).form == "update"
