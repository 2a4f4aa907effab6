"""The query check cannot be tokenized around: each attack that walked past it is refused before evaluation.

Every SERVICE attack below is first shown to be real: handed to Oxigraph directly (no check, no
wall) it makes the engine connect to the trap server on loopback. Through `run_query`, the CLI
(`query -e`, standard input, `--reasoning`), the endpoint (`datateam serve`, GET and both POST
forms) and `--endpoint` (a real `oxigraph serve`), the same text is refused with a one-line
UnsafeQueryError and the trap records nothing. The bait store holds the triples that make each
attack's pattern match, so nothing short-circuits before the SERVICE call.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.store.remote import RemoteKnowledgeGraph
from datateam.graph.store.memory import KnowledgeGraph
from datateam.ontology.namespaces import BASE, PREFIXES
from datateam.queries.engine import execute
from datateam.queries.sparql.errors import QuerySyntaxError, UnsafeQueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.sparql.safety import inspect_query

S = "{ ?s ?p ?o }"


def service_attacks(url: str) -> dict[str, str]:
    """Queries that make Oxigraph call `url` although the old token check let them through."""
    return {
        "comment ended by CR": f"SELECT * WHERE {{ # note\rSERVICE <{url}sparql> {S} }}",
        "SERVICE glued to SILENT": f"SELECT * WHERE {{ SERVICESILENT<{url}sparql>{S} }}",
        "glued, lower case": f"select * where {{ servicesilent<{url}sparql>{S} }}",
        "prefix named SERVICEx": f"PREFIX SERVICEx: <http://a.example/> PREFIX x: <{url}> "
                                 f"SELECT * WHERE {{ SERVICEx:sparql {S} }}",
        "local name with two dots": f"PREFIX p: <http://a.example/> SELECT * WHERE {{ ?s ?p p:x.y.SERVICE<{url}sparql>{S} }}",
        "local name that makes no IRI": f"PREFIX p: <http://[::1]> SELECT * WHERE {{ ?a ?b p:SERVICE<{url}sparql>{S} }}",
        "boolean glued to SERVICE": f"SELECT * WHERE {{ ?a ?b trueSERVICE<{url}sparql>{S} }}",
        "in a subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICESILENT<{url}sparql>{S} }} }} }}",
        "in OPTIONAL": f"SELECT * WHERE {{ BIND(1 AS ?x) OPTIONAL {{ SERVICESILENT<{url}sparql>{S} }} }}",
        "in FILTER EXISTS": f"SELECT * WHERE {{ BIND(1 AS ?x) FILTER EXISTS {{ SERVICESILENT<{url}sparql>{S} }} }}",
        "in MINUS": f"SELECT * WHERE {{ BIND(1 AS ?s) MINUS {{ SERVICESILENT<{url}sparql>{S} }} }}",
        "in UNION": f"SELECT * WHERE {{ {{ BIND(1 AS ?x) }} UNION {{ SERVICESILENT<{url}sparql>{S} }} }}",
        "in GRAPH": f"SELECT * WHERE {{ GRAPH ?g {{ SERVICESILENT<{url}sparql>{S} }} }}",
        "ASK": f"ASK {{ #\rSERVICE <{url}sparql> {S} }}",
        "DESCRIBE": f"DESCRIBE ?s WHERE {{ SERVICESILENT<{url}sparql>{S} }}",
        "CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ #\rSERVICE <{url}sparql> {S} }}",
    }


CASES = sorted(service_attacks("http://x/"))


@pytest.fixture()
def no_evaluation(monkeypatch):
    """Fail the test if anything reaches evaluation (a local worker, the warm pool or an update)."""
    reached = []

    def forbidden(*args, **kwargs):
        reached.append(args)
        raise AssertionError("the query reached evaluation")

    monkeypatch.setattr(execute, "evaluate_local", forbidden)
    monkeypatch.setattr(execute, "run_update", forbidden)
    return reached


@pytest.mark.parametrize("case", CASES)
def test_control_each_attack_makes_oxigraph_call_the_trap(trap, bait_store, case):
    """Without our check and wall, Oxigraph really does connect: the attacks are real."""
    text = service_attacks(trap.url)[case]
    try:
        result = bait_store().query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except OSError:  # the trap's reply is not what the engine wanted; the call was made
        pass
    assert trap.count() >= 1


@pytest.mark.parametrize("case", CASES)
def test_the_attack_is_refused_before_evaluation(trap, bait_store, no_evaluation, case):
    text = service_attacks(trap.url)[case]
    kg = KnowledgeGraph(bait_store())
    with pytest.raises(UnsafeQueryError, match=r"SERVICE|prefix 'SERVICEx:'|is not a valid IRI"):
        run_query(kg, text, timeout=10)
    with pytest.raises(UnsafeQueryError):
        run_query(kg, text, timeout=10, allow_update=True)  # allowing updates never allows the network
    assert no_evaluation == []
    assert trap.count() == 0


def test_the_cli_refuses_each_attack_from_e_and_from_standard_input(trap, runner):
    for text in service_attacks(trap.url).values():
        for args, stdin in ((["query", "-e", text], None), (["query", "-"], text)):
            result = runner.invoke(main, args, input=stdin)
            assert result.exit_code == 1, (text, result.output)
            lines = result.output.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and "refused" in lines[0], result.output
    assert trap.count() == 0


def test_reasoning_goes_through_the_same_check(trap, no_evaluation, kg):
    for case in ("SERVICE glued to SILENT", "comment ended by CR"):
        with pytest.raises(UnsafeQueryError):
            run_query(kg, service_attacks(trap.url)[case], reasoning="rdfs", timeout=60)
    assert no_evaluation == []
    assert trap.count() == 0


# ---------------------------------------------------------------------------------------------
# LOAD, FROM and updates


def load_attacks(url: str) -> dict[str, str]:
    return {
        "LOAD glued to SILENT": f"CREATE SILENT GRAPH <http://a.example/g> ; LOADSILENT<{url}data.ttl>",
        "LOAD after a comment ended by CR": f"CREATE SILENT GRAPH <http://a.example/g> ; # x\rLOAD <{url}data.ttl>\n",
        "LOAD glued to the prefixed name": f"PREFIX LOADx: <http://a.example/> PREFIX x: <{url}> "
                                           "CREATE SILENT GRAPH <http://a.example/g> ; LOADx:data.ttl",
        "lower case, glued": f"create silent graph <http://a.example/g> ; loadsilent<{url}data.ttl>",
    }


@pytest.mark.parametrize("case", sorted(load_attacks("http://x/")))
def test_control_each_load_attack_makes_oxigraph_fetch(trap, bait_store, case):
    try:
        bait_store().update(load_attacks(trap.url)[case])
    except (OSError, RuntimeError, SyntaxError, ValueError):  # the reply is no Turtle; the fetch was made
        pass
    assert trap.count() >= 1


@pytest.mark.parametrize("case", sorted(load_attacks("http://x/")))
def test_load_is_refused_even_with_allow_update(trap, bait_store, case):
    text = load_attacks(trap.url)[case]
    kg = KnowledgeGraph(bait_store())
    before = sorted(str(q) for q in kg.store)
    with pytest.raises(UnsafeQueryError, match="LOAD"):
        run_query(kg, text, allow_update=True)
    assert sorted(str(q) for q in kg.store) == before
    assert trap.count() == 0


def test_plain_load_is_refused_through_the_cli_with_allow_update(trap, runner, tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(main, ["query", "--store", str(store), "--allow-update", "-e", f"LOAD <{trap.url}x.ttl>"])
    assert result.exit_code == 1 and "LOAD" in result.output and "refused" in result.output
    assert trap.count() == 0


def from_attacks() -> dict[str, str]:
    elsewhere = "http://elsewhere.example/"
    return {
        "FROM NAMED glued": f"SELECT*FROMNAMED<{elsewhere}g>WHERE{{GRAPH ?g{{?s ?p ?o}}}}",
        "FROM after a comment ended by CR": f"SELECT * # x\rFROM <{elsewhere}g>\nWHERE {{ ?s ?p ?o }}",
        "NAMED glued into a prefix the store knows": (
            f"PREFIX NAMEDx: <{BASE}graph/> PREFIX x: <{elsewhere}> "
            "SELECT * FROM NAMEDx:olx-interview WHERE { GRAPH ?g { ?s ?p ?o } }"),
        "FROM glued to a prefixed name": "SELECT * FROMgraph:olx-interview WHERE { ?s ?p ?o }",
        "USING NAMED glued": f"INSERT {{ }} USINGNAMED<{elsewhere}g> WHERE {{ ?s ?p ?o }}",
    }


@pytest.mark.parametrize("case", sorted(from_attacks()))
def test_from_and_using_may_name_only_the_stores_graphs(kg, no_evaluation, case):
    with pytest.raises(UnsafeQueryError):
        run_query(kg, from_attacks()[case], allow_update=True)
    assert no_evaluation == []


def test_from_naming_the_stores_graphs_still_works(kg):
    graph = BASE + "graph/olx-interview"
    info = inspect_query(f"SELECT * FROM <{graph}> FROM NAMED graph:olx-interview WHERE {{ ?s ?p ?o }}",
                         [graph])
    assert info.from_graphs == [graph] and info.from_named_graphs == [graph]
    result = run_query(kg, "SELECT (COUNT(*) AS ?n) FROM graph:olx-interview WHERE { ?s ?p ?o }")
    assert int(result.rows[0]["n"]) == kg.triple_count(URIRef(graph))


@pytest.mark.parametrize("text", [
    "INSERTDATA{<http://a.example/s> <http://a.example/p> <http://a.example/o>}",
    "DELETEWHERE{?s ?p ?o}",
    "#\rDROP ALL",
    "CLEARALL",
])
def test_glued_updates_are_refused_as_updates(kg, no_evaluation, text):
    with pytest.raises(UnsafeQueryError, match="read-only"):
        run_query(kg, text)
    assert no_evaluation == []


# ---------------------------------------------------------------------------------------------
# What must still work: odd but harmless queries are not refused


@pytest.mark.parametrize("text", [
    'SELECT ?service WHERE { ?service rdfs:label "SERVICE <http://x/> LOAD FROM" } LIMIT 1',
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<1||?o>2) } LIMIT 1",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 1 || ?o > 2) } LIMIT 1",
    "SELECT * WHERE { ?s dt:worksWith ?o } LIMIT 1 # SERVICE <http://x/> {}",
    "SELECT * WHERE { ?s ?p <http://x.example/SERVICE#LOAD> }",
    "PREFIX ex: <http://x.example/> SELECT * WHERE { ?s ex:serviceFrom ?o }",
    "BASE <http://x.example/> SELECT * WHERE { ?s ?p <service> }",
])
def test_harmless_queries_with_keyword_lookalikes_run(kg, text):
    assert run_query(kg, text).kind == "select"


def test_a_query_longer_than_the_limit_is_refused_in_one_line(kg, runner):
    text = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024)
    with pytest.raises(execute.QueryError, match="longer than 1 MB"):
        run_query(kg, text)
    result = runner.invoke(main, ["query", "-"], input=text)
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "longer than 1 MB" in result.output


def test_an_unclosed_string_or_bad_escape_is_a_syntax_error(kg):
    with pytest.raises(QuerySyntaxError, match="never closed"):
        run_query(kg, 'SELECT * WHERE { ?s ?p "abc\\q" }')


# ---------------------------------------------------------------------------------------------
# The endpoint and --endpoint


def _status(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_endpoint_refuses_each_attack_on_every_method(trap, served):
    for text in service_attacks(trap.url).values():
        get = urllib.request.Request(served + "?" + urllib.parse.urlencode({"query": text}))
        form = urllib.request.Request(served, data=urllib.parse.urlencode({"query": text}).encode(),
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        direct = urllib.request.Request(served, data=text.encode(),
                                        headers={"Content-Type": "application/sparql-query"})
        assert [_status(r) for r in (get, form, direct)] == [400, 400, 400], text
    assert trap.count() == 0


def test_the_check_runs_before_a_query_goes_to_a_remote_endpoint(trap, oxigraph_endpoint, runner):
    # Control: the remote Oxigraph itself makes the call when handed the attack directly.
    text = service_attacks(trap.url)["SERVICE glued to SILENT"]
    control = urllib.request.Request(oxigraph_endpoint, data=text.encode(),
                                     headers={"Content-Type": "application/sparql-query",
                                              "Accept": "application/sparql-results+json"})
    assert _status(control) == 200
    assert trap.count() >= 1
    seen = trap.count(0)
    remote = RemoteKnowledgeGraph(oxigraph_endpoint, timeout=10)
    for case in ("comment ended by CR", "SERVICE glued to SILENT", "prefix named SERVICEx", "in FILTER EXISTS"):
        attack = service_attacks(trap.url)[case]
        with pytest.raises(UnsafeQueryError):
            run_query(remote, attack, timeout=10)
        result = runner.invoke(main, ["query", "--endpoint", oxigraph_endpoint, "-e", attack])
        assert result.exit_code == 1 and result.output.startswith("error: ") and "refused" in result.output
    assert trap.count() == seen


@pytest.mark.parametrize("text,expected", [
    ("SELECT * { # c\rSERVICE }", ["SELECT", "*", "{", "SERVICE", "}"]),  # a comment ends at CR
    ("SELECT * { ?s ?p p:a.b.c }", ["SELECT", "*", "{", "?s", "?p", "p:a.b", ".", "c", "}"]),  # one run of dots
    ("SELECT * { FILTER(?a<1||?b>2) }", ["SELECT", "*", "{", "FILTER", "(", "?a", "<", "1", "||", "?b", ">", "2", ")", "}"]),
    ("SELECT * { ?s ?p <x> }", ["SELECT", "*", "{", "?s", "?p", "<", "x", ">", "}"]),  # relative, no BASE: not an IRI
    ("BASE <http://a.example/> SELECT * { ?s ?p <x> }", ["BASE", "<http://a.example/>", "SELECT", "*", "{", "?s", "?p", "<x>", "}"]),
    ("SELECT * {\x0c}", ["SELECT", "*", "{", "\x0c", "}"]),  # a form feed is no white space for Oxigraph
])
def test_the_tokenizer_cuts_the_text_as_oxigraph_does(text, expected):
    from datateam.queries.sparql.lexer import tokenize

    assert [t.text for t in tokenize(text)] == expected


def test_the_check_takes_linear_time_on_a_hostile_text(kg):
    """500 KB of `?a<1||?a<2||...`: every `<` starts an IRI candidate; scanning each to the end of the
    text (as a regex `<[^>]*>` does) took minutes. A generous bound: seconds are expected."""
    import time

    text = "SELECT * WHERE { FILTER(" + "||".join(f"?a<{i}" for i in range(55000)) + "||?b>0) }"
    assert len(text) > 500_000
    started = time.monotonic()
    inspect_query(text, [])
    assert time.monotonic() - started < 60
