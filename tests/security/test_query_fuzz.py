"""Property-based fuzzing of the query check (hypothesis) against Oxigraph itself.

Generated queries hide SERVICE, LOAD, FROM and update keywords with comments (ended by CR, LF,
CRLF or the end of the text), bare CR/LF and tabs, changes of case, \\u / \\U codepoint escapes,
glued tokens (SERVICESILENT, SERVICE<iri>, trueSERVICE, p:x.y.SERVICE, prefixes named like the
keyword) and nesting (subquery, OPTIONAL, EXISTS, MINUS, UNION, GRAPH); about half carry the
keyword only where it is harmless (a string, an IRI, a comment), so the check also has to accept.

Two properties:
(a) whatever the check accepts, run for real (`run_query`, the sandboxed worker, a real store),
    never reaches the trap server and never changes the store;
(b) an oracle independent of our code: the text is evaluated by pyoxigraph as a query and as an
    update on a scratch store, in a walled child. When Oxigraph tried the network (its HTTP client
    fails with "Operation not permitted"), changed the store (an update), or read a graph through
    FROM / FROM NAMED that the check was told the store does not hold, the check must refuse it.

The examples are derandomized (the same on every run and on CI) and bounded in number.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datateam.graph.store.memory import KnowledgeGraph
from datateam.ontology.namespaces import PREFIXES
from datateam.queries.sparql.errors import QueryError
from datateam.queries.engine.execute import run_query
from datateam.queries.sparql.safety import inspect_query
from datateam.queries.engine.worker import run_in_worker

OK_GRAPH = "http://fuzz.example/ok/g"
SECRET_GRAPH = "http://fuzz.example/secret/g"
MARKER = "http://fuzz.example/marker"
URL = "http://trap.invalid:9/"  # replaced by the trap server's address before a text is used

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def oracle_store(secret: str = SECRET_GRAPH) -> ox.Store:
    """Default graph: triples the glued tricks need to match; named graphs G_ok and `secret`, the one
    holding the marker (a graph the check is told the store does not hold)."""
    store = ox.Store()
    a, p = ox.NamedNode("http://fuzz.example/a"), ox.NamedNode("http://fuzz.example/p")
    for obj in (ox.NamedNode("http://a.example/x.y"), ox.NamedNode("http://[::1]"),
                ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))):
        store.add(ox.Quad(a, p, obj, ox.DefaultGraph()))
    store.add(ox.Quad(a, p, ox.NamedNode("http://fuzz.example/plain"), ox.NamedNode(OK_GRAPH)))
    store.add(ox.Quad(a, p, ox.NamedNode(MARKER), ox.NamedNode(secret)))
    return store


# ---------------------------------------------------------------------------------------------
# Generators

@st.composite
def spell(draw, word: str) -> str:
    """The keyword with each letter's case chosen, and now and then one letter as a \\u or \\U escape."""
    letters = [c.upper() if draw(st.booleans()) else c.lower() for c in word]
    if draw(st.integers(0, 9)) == 9:
        k = draw(st.integers(0, len(letters) - 1))
        letters[k] = draw(st.sampled_from([f"\\u{ord(letters[k]):04X}", f"\\U{ord(letters[k]):08x}"]))
    return "".join(letters)


@st.composite
def gap(draw, may_be_empty: bool = True) -> str:
    """What separates two tokens: nothing, white space, or a comment ended by CR, LF or CRLF."""
    choices = [" ", "\t", "\r", "\n", "\r\n", "  \n "]
    if may_be_empty:
        choices.insert(0, "")
    out = draw(st.sampled_from(choices))
    if draw(st.integers(0, 3)) == 3:
        junk = draw(st.sampled_from(["", "x", " SERVICE <http://x/> { }", " LOAD", "#", " FROM NAMED"]))
        out += "#" + junk + draw(st.sampled_from(["\r", "\n", "\r\n"]))
    return out


SERVICE_TRICKS = ("plain", "prefixed", "keyword prefix", "after true", "after dots", "after bad expansion")


@st.composite
def service_pattern(draw, trick: str) -> tuple[str, str]:
    """(prologue, group pattern) calling the trap with SERVICE in the disguise `trick`."""
    keyword = draw(spell("SERVICE"))
    body = "{ ?s ?p ?o }"
    silent = (draw(spell("SILENT")) + draw(gap())) if draw(st.integers(0, 2)) < 2 else ""
    if trick == "keyword prefix":
        label = keyword.replace("\\", "") + "x" if "\\" in keyword else keyword + "x"
        return (f"PREFIX {label}: <http://a.example/> PREFIX x: <{URL}> ", f"{label}:sparql{draw(gap())}{body}")
    if trick == "prefixed":
        call = f"{keyword}{draw(gap())}{silent}x:sparql{draw(gap())}{body}"
        return f"PREFIX x: <{URL}> ", call
    call = f"{keyword}{draw(gap())}{silent}<{URL}sparql>{draw(gap())}{body}"
    if trick == "after true":
        return "", f"?a ?b true{call}"
    if trick == "after dots":
        return "PREFIX p: <http://a.example/> ", f"?a ?b p:x.y.{call}"
    if trick == "after bad expansion":
        return "PREFIX q: <http://[::1]> ", f"?a ?b q:{call}"
    return "", call


WRAPS = [
    lambda p: p,
    lambda p: "{ SELECT * WHERE { " + p + " } }",
    lambda p: "BIND(1 AS ?one) OPTIONAL { " + p + " }",
    lambda p: "BIND(1 AS ?one) FILTER EXISTS { " + p + " }",
    lambda p: "BIND(1 AS ?s) MINUS { " + p + " }",
    lambda p: "{ BIND(1 AS ?one) } UNION { " + p + " }",
    lambda p: "GRAPH ?g { " + p + " }",
]


@st.composite
def nest(draw, pattern: str) -> str:
    for _ in range(draw(st.integers(1, 2))):
        pattern = draw(st.sampled_from(WRAPS))(pattern)
    return pattern


@st.composite
def query_form(draw, where: str, dataset: str = "") -> str:
    form = draw(st.sampled_from(["SELECT", "ASK", "DESCRIBE", "CONSTRUCT"]))
    head = draw(spell(form))
    if form == "SELECT":
        head += draw(gap()) + "*"
    elif form == "DESCRIBE":
        head += draw(gap(False)) + "?s"
    elif form == "CONSTRUCT":
        head += draw(gap()) + "{ ?s ?p ?o }"
    return f"{head}{draw(gap())}{dataset}{draw(spell('WHERE'))}{draw(gap())}{{ {where} }}"


@st.composite
def decoy(draw) -> tuple[str, str]:
    """A pattern with the keywords only where they are harmless (a string, an IRI, a comment)."""
    where = draw(st.sampled_from([
        f'?s ?p ?o FILTER(?o != "SERVICE <{URL}> {{ }}")',
        f"?s ?p ?o FILTER(?o != <{URL}SERVICE>)",
        f"?s ?p ?o # SERVICE <{URL}> {{ }}\n",
        "?service ?load ?from",
        "?s ?p ?o FILTER(?o<1||?o>2)",
    ]))
    return "", where


@st.composite
def service_query(draw, trick: str) -> str:
    prologue, pattern = draw(decoy() if trick == "decoy" else service_pattern(trick))
    return prologue + draw(query_form(draw(nest(pattern))))


@st.composite
def load_update(draw, trick: str) -> str:
    keyword = draw(spell("LOAD"))
    silent = (draw(spell("SILENT")) + draw(gap())) if draw(st.integers(0, 2)) < 2 else ""
    if trick == "keyword prefix":
        label = keyword.replace("\\", "") + "x" if "\\" in keyword else keyword + "x"
        prologue, load = f"PREFIX {label}: <http://a.example/> PREFIX x: <{URL}> ", f"{label}:data.ttl"
    elif trick == "prefixed":
        prologue, load = f"PREFIX x: <{URL}> ", f"{keyword}{draw(gap())}{silent}x:data.ttl"
    else:
        prologue, load = "", f"{keyword}{draw(gap())}{silent}<{URL}data.ttl>"
    into = f"{draw(gap(False))}{draw(spell('INTO'))} GRAPH <{OK_GRAPH}>" if draw(st.booleans()) else ""
    first = f"CREATE SILENT GRAPH <http://a.example/g> ;{draw(gap())}" if draw(st.booleans()) else ""
    return prologue + first + load + into


@st.composite
def from_query(draw, trick: str) -> str:
    named = trick == "glued named" or draw(st.booleans())
    keyword = draw(spell("FROM")) + draw(gap(trick != "iri"))
    prologue = ""
    if trick == "glued named":
        # the check reads the prefix NAMEDs: (a graph the store holds), Oxigraph reads NAMED s:g
        target = f"{draw(spell('NAMED'))}s:g"
        prologue = f"PREFIX {target.split(':')[0]}: <http://fuzz.example/ok/> PREFIX s: <http://fuzz.example/secret/> "
        named_word = ""
    else:
        named_word = (draw(spell("NAMED")) + draw(gap())) if named else ""
        if trick == "iri":
            target = f"<{SECRET_GRAPH}>"
        else:
            prologue, target = "PREFIX s: <http://fuzz.example/secret/> ", "s:g"
    dataset = f"{keyword}{named_word}{target}{draw(gap(False))}"
    where = "GRAPH ?g { ?s ?p ?o }" if named else "?s ?p ?o"
    head = draw(spell("SELECT")) + draw(gap()) + ("?g" if named else "?o") + draw(gap(False))
    return f"{prologue}{head}{dataset}{draw(spell('WHERE'))}{draw(gap())}{{ {where} }}"


UPDATE_FORMS = ("insert data", "delete where", "clear", "drop", "copy", "with")


@st.composite
def plain_update(draw, form: str) -> str:
    ground = "{ <http://a.example/s> <http://a.example/p> <http://a.example/o> }"
    g = draw(gap())
    if form == "insert data":
        return f"{draw(spell('INSERT'))}{g}{draw(spell('DATA'))}{draw(gap())}{ground}"
    if form == "delete where":
        return f"{draw(spell('DELETE'))}{g}{draw(spell('WHERE'))}{draw(gap())}{{ ?s ?p ?o }}"
    if form == "clear":
        return f"{draw(spell('CLEAR'))}{g}{draw(spell('ALL'))}"
    if form == "drop":
        return f"{draw(spell('DROP'))}{g}{draw(spell('GRAPH'))}{draw(gap())}<{OK_GRAPH}>"
    if form == "copy":
        return f"{draw(spell('COPY'))}{g}<{OK_GRAPH}>{draw(gap())}{draw(spell('TO'))}{draw(gap())}<http://a.example/c>"
    return f"{g}{draw(spell('WITH'))}{draw(gap())}<{OK_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"


# Every disguise is a kind of its own, drawn evenly, so each gets its share of the examples.
KINDS = ([("service", t) for t in SERVICE_TRICKS + ("decoy",)] + [("load", t) for t in ("iri", "prefixed", "keyword prefix")]
         + [("from", t) for t in ("iri", "prefixed", "glued named")] + [("update", t) for t in UPDATE_FORMS])
_BUILD = {"service": service_query, "load": load_update, "from": from_query, "update": plain_update}
ANY_TEXT = st.sampled_from(KINDS).flatmap(lambda kind: _BUILD[kind[0]](kind[1]))


# ---------------------------------------------------------------------------------------------
# The oracle: what Oxigraph itself does with the text (in a walled child)


def _classify(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return "syntax"
    return "network" if "Operation not permitted" in str(exc) else "error"


def _values(store: ox.Store, text: str) -> set[str]:
    result = store.query(text, prefixes=PREFIXES)
    if isinstance(result, ox.QuerySolutions):
        return {str(v.value) for row in result for v in row if v is not None}
    if isinstance(result, ox.QueryBoolean):
        return set()
    return {str(t.object.value) for t in result}


def _oxigraph_reading(text: str) -> dict:
    """In a walled worker: evaluate `text` as a query and as an update on fresh oracle stores.

    saw_secret: the marker shows up when the marker's graph is the secret one and not when the same
    graph has another name, so the query read it by name (FROM); GRAPH ?g alone sees it either way.
    named_only_secret: the named graphs the query saw are the secret one only (FROM NAMED).
    """
    out: dict = {}
    try:
        values = _values(oracle_store(), text)
        out["query"] = "ok"
        out["saw_secret"] = MARKER in values and MARKER not in _values(oracle_store("http://fuzz.example/other"), text)
        out["named_only_secret"] = values == {SECRET_GRAPH}
    except Exception as exc:  # noqa: BLE001 - classified for the property
        out["query"] = _classify(exc)
    store = oracle_store()
    before = sorted(str(q) for q in store)
    try:
        store.update(text, prefixes=PREFIXES)
        out["update"] = "ok"
    except Exception as exc:  # noqa: BLE001 - classified for the property
        out["update"] = _classify(exc)
    out["changed"] = sorted(str(q) for q in store) != before
    return out


def _refused(text: str, allow_update: bool) -> bool:
    try:
        inspect_query(text, [OK_GRAPH], allow_update=allow_update)
    except QueryError:
        return True
    return False


@pytest.mark.slow
def test_whatever_oxigraph_reads_as_network_update_or_foreign_graph_is_refused(module_trap):
    """Property (b), run over the generated texts; then a check that the examples were worth it: they
    include every disguise, and the oracle saw Oxigraph read some as network calls, as updates and
    as reads of a foreign graph (so the property was not vacuously true)."""
    seen = {"network": 0, "update": 0, "foreign": 0, "accepted": 0}
    texts: list[str] = []

    @FUZZ
    @given(text=ANY_TEXT)
    def oracle_agrees(text):
        text = text.replace(URL, module_trap.url)
        texts.append(text)
        reading = run_in_worker(lambda: _oxigraph_reading(text), timeout=60)
        network = "network" in (reading["query"], reading["update"])
        foreign = bool(reading.get("saw_secret") or reading.get("named_only_secret"))
        update = reading["update"] == "ok" or reading["changed"]
        if network or foreign:
            assert _refused(text, allow_update=True), (text, reading)
        if update:
            assert _refused(text, allow_update=False), (text, reading)
        seen["network"] += network
        seen["foreign"] += foreign
        seen["update"] += update
        seen["accepted"] += not _refused(text, allow_update=False)

    oracle_agrees()
    joined = "\n".join(texts).lower()
    for needle in ("\r", "\r\n", "#", "\\u", "servicex:", "loadx:", "nameds:", "true", "p:x.y.", "q:", "filter exists",
                   "minus", "union", "graph ?g", "select", "ask", "describe", "construct", "optional", "from named",
                   "insert", "with", "silent<"):
        assert needle in joined, needle
    assert re.search(r"service(silent)?<", joined) and re.search(r"load(silent)?(<|x:)", joined)
    assert module_trap.count(0) == 0  # the oracle's children are walled too
    assert all(n > 0 for n in seen.values()), seen


@pytest.mark.slow
@FUZZ
@given(text=ANY_TEXT)
def test_what_the_check_accepts_never_reaches_the_trap_nor_changes_the_store(module_trap, text):
    text = text.replace(URL, module_trap.url)
    kg = KnowledgeGraph(oracle_store())
    before = sorted(str(q) for q in kg.store)
    seen = module_trap.count(0)
    if not _refused(text, allow_update=False):
        try:
            run_query(kg, text, timeout=30)
        except QueryError:  # a syntax error and the like: what matters is what did not happen
            pass
    assert sorted(str(q) for q in kg.store) == before
    assert module_trap.count(0.05) == seen, text
