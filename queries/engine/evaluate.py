"""Evaluating a checked query on a local Oxigraph store, in a worker process killed at the time limit.

The worker sends its answer back as plain tuples (terms encoded by `_encode`); the parent turns
them into a QueryResult. Used by `run_query` (a forked worker per query) and by the warm workers of
queries/engine/pool.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ...ontology.namespaces import PREFIXES, bind_prefixes
from ..sparql.errors import QueryError, QueryParameterError, UnsafeQueryError
from ..sparql.results import QueryResult
from ..sparql.syntax import syntax_error
from .worker import WorkerFailed, run_in_worker
from ...graph.defaults import QUERY_TIMEOUT

DEFAULT_TIMEOUT = QUERY_TIMEOUT

def _encode(term) -> tuple:
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return ("l", term.value, term.language, term.datatype.value)
    if isinstance(term, ox.Triple):
        return ("t", _encode(term.subject), _encode(term.predicate), _encode(term.object))
    raise TypeError(f"unexpected term {term!r}")


_XSD_STRING = str(XSD.string)


def _decode(enc: tuple):
    kind = enc[0]
    if kind == "u":
        return URIRef(enc[1])
    if kind == "l":
        _, value, lang, datatype = enc
        if lang:
            return Literal(value, lang=lang)
        if datatype == _XSD_STRING:
            return Literal(value)
        # keep the lexical form exactly as stored (rdflib would rewrite "1500" as a double to "1500.0")
        return Literal(value, datatype=URIRef(datatype), normalize=False)
    if kind == "b":
        return BNode(enc[1])
    return (_decode(enc[1]), _decode(enc[2]), _decode(enc[3]))


def _evaluate_in_child(store: ox.Store, location: Path | None, text: str, original: str, substitutions: dict,
                       options: dict, max_rows: int | None):
    if location is None:
        return _evaluate_on(store, text, original, substitutions, options, max_rows)
    # A store this process also holds open for writing may be compacting right after a write; a
    # read-only view opened at that moment can miss a file. That passes within moments: try again
    # (the parent's time limit still applies).
    for attempt in range(8):
        try:
            return _evaluate_on(ox.Store.read_only(str(location)), text, original, substitutions, options, max_rows)
        except OSError as exc:
            if "No such file" not in str(exc) or attempt == 7:
                raise
            time.sleep(0.05 * (attempt + 1))


def query_options(*, base_iri: str | None = None, default_graph: list[str] | None = None,
                  named_graphs: list[str] | None = None, from_graphs: list[str] | None = None,
                  from_named_graphs: list[str] | None = None) -> dict:
    """The evaluation options a worker receives (plain data, so they cross the pipe as they are).

    base_iri: resolves the query's relative IRIs. default_graph / named_graphs: a dataset given
    with the request (the SPARQL Protocol's default-graph-uri / named-graph-uri), which replaces
    the query's FROM / FROM NAMED; None keeps the query's own dataset, or the store's.
    from_graphs / from_named_graphs: what the query's own FROM / FROM NAMED name (several FROM
    graphs are merged here: Oxigraph would read them as a bag).
    """
    return {"base_iri": base_iri, "default_graph": default_graph, "named_graphs": named_graphs,
            "from_graphs": from_graphs, "from_named_graphs": from_named_graphs, "default_is_all": False}


def _dataset_store(store: ox.Store, default_graph: list[str], named_graphs: list[str]) -> ox.Store:
    """An in-memory store whose default graph is the RDF merge of `default_graph` and whose named
    graphs are `named_graphs`: Oxigraph reads a default graph of several graphs as a bag."""
    merged = ox.Store()
    quads = []
    for iri in default_graph:
        quads.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                     for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
    for iri in named_graphs:
        quads.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
    merged.extend(quads)
    return merged


def _dataset_arguments(store: ox.Store, options: dict) -> tuple[ox.Store, dict]:
    """The store to query and the dataset arguments of `Store.query` for these options."""
    default, named = options.get("default_graph"), options.get("named_graphs")
    if default is None and named is None:
        from_graphs = options.get("from_graphs") or []
        if len(from_graphs) > 1:  # FROM <a> FROM <b>: the merge of the two, not Oxigraph's bag
            default, named = from_graphs, options.get("from_named_graphs") or []
        else:
            return store, {}
    default, named = list(default or []), list(named or [])
    if len(default) > 1 and options.get("default_is_all"):
        # every graph of the store: its own default graph is that merge already
        return store, {"default_graph": ox.DefaultGraph(), "named_graphs": [ox.NamedNode(g) for g in named]}
    if len(default) > 1:
        return _dataset_store(store, default, named), {
            "default_graph": ox.DefaultGraph(), "named_graphs": [ox.NamedNode(g) for g in named]}
    return store, {"default_graph": [ox.NamedNode(g) for g in default],
                   "named_graphs": [ox.NamedNode(g) for g in named]}


def _evaluate_on(store: ox.Store, text: str, original: str, substitutions: dict, options: dict,
                 max_rows: int | None):
    base_iri = options.get("base_iri")
    try:
        target, dataset = _dataset_arguments(store, options)
        result = target.query(text, prefixes=PREFIXES, base_iri=base_iri, substitutions=substitutions or None,
                              **dataset)
    except SyntaxError as exc:
        if text != original:
            # Report the position in the text the user wrote, not in the rewritten one (an empty
            # store parses it and has nothing to evaluate it on).
            try:
                ox.Store().query(original, prefixes=PREFIXES, base_iri=base_iri)
            except SyntaxError as first:
                raise first from None
        raise exc
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows, truncated = [], False
        for i, solution in enumerate(result):
            if max_rows is not None and i >= max_rows:
                truncated = True
                break
            rows.append(tuple(None if value is None else _encode(value) for value in solution))
        return ("select", names, rows, truncated)
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result))
    triples, truncated = [], False
    for i, triple in enumerate(result):
        if max_rows is not None and i >= max_rows:
            truncated = True
            break
        triples.append(triple)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
    return ("graph", data, truncated)


def evaluate_local(store: ox.Store, location: Path | None, text: str, *, original: str | None = None,
                   substitutions: dict | None = None, options: dict | None = None,
                   timeout: float | None = DEFAULT_TIMEOUT, max_rows: int | None = None) -> QueryResult:
    """Evaluate an already checked query on a local Oxigraph store in a worker process.

    store: the store (in memory, inherited by the forked worker). location: the store's directory
    when it is on disk (the worker reopens it read-only). options: `query_options(...)` (base IRI,
    a protocol dataset); the default graph is otherwise the store's own, the merge of its named
    graphs (graph/store/merge.py). Returns a QueryResult.
    """
    original = text if original is None else original
    options = options or query_options()
    try:
        payload = run_in_worker(
            lambda: _evaluate_in_child(store, location, text, original, substitutions or {}, options, max_rows),
            timeout, what="the query")
    except WorkerFailed as exc:
        raise _engine_error(original, exc) from None
    return _result_from_payload(payload)


def _result_from_payload(payload: tuple) -> QueryResult:
    kind = payload[0]
    if kind == "select":
        _, names, rows, truncated = payload
        with _quiet_rdflib_terms():
            decoded = [{name: _decode(value) for name, value in zip(names, row) if value is not None}
                       for row in rows]
        return QueryResult("select", variables=names, rows=decoded, truncated=truncated)
    if kind == "ask":
        return QueryResult("ask", boolean=payload[1])
    _, data, truncated = payload
    graph = Graph()
    bind_prefixes(graph)
    if data:
        with _quiet_rdflib_terms():
            for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                graph.add(tuple(_decode(_encode(t)) for t in (triple.subject, triple.predicate, triple.object)))
    return QueryResult("graph", graph=graph, truncated=truncated)


class _quiet_rdflib_terms:
    """rdflib logs a warning with a traceback for every ill-typed literal ("x"^^xsd:integer) it
    builds; the literal itself is kept as it is, so the warning is only noise on the terminal."""

    _lock = threading.Lock()
    _active = 0
    _saved_level = 0

    def __enter__(self):
        import logging

        cls = type(self)
        with cls._lock:
            logger = logging.getLogger("rdflib.term")
            if cls._active == 0:
                cls._saved_level = logger.level
                logger.setLevel(logging.ERROR)
            cls._active += 1

    def __exit__(self, *exc):
        import logging

        cls = type(self)
        with cls._lock:
            cls._active -= 1
            if cls._active == 0:
                logging.getLogger("rdflib.term").setLevel(cls._saved_level)


# What Oxigraph's HTTP client reports when the network wall denies it a socket.
_WALL_STOPPED = "Operation not permitted (os error 1)"
_WALL_MESSAGE = ("the query tried to open a network connection (SERVICE or LOAD) and was stopped: queries may not "
                 "reach the network")


def _engine_error(text: str, exc: WorkerFailed) -> QueryError:
    if exc.kind == "SyntaxError":
        return syntax_error(text, exc.message)
    first = exc.message.splitlines()[0] if exc.message else exc.kind
    if _WALL_STOPPED in first:
        return UnsafeQueryError(_WALL_MESSAGE)
    if "SELECT projection" in first:
        return QueryParameterError(f"cannot bind a parameter: {first}")
    return QueryError(f"the query failed: {first}")
